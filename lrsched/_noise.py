"""Seeded noise: timm's lr noise, with torch's CPU generator reproduced in numpy.

timm draws the noise of step ``k`` from a fresh ``torch.Generator`` seeded with ``seed + k``:
``torch.randn(1) * std`` until its absolute value is below ``limit`` ("normal"), or
``limit * (2 * torch.rand(1) - 1)`` ("uniform"). That generator is the 32-bit Mersenne Twister
(MT19937) seeded with the seed modulo 2**32, and torch turns its words into floats as follows:

- ``rand`` (float32): the low 24 bits of one word, times 2**-24;
- ``randn``: a Box-Muller pair from two doubles, each the low 53 bits of two words (the first
  word high) times 2**-53: ``r = sqrt(-2 log1p(-u2))``, ``theta = 2 pi u1``; the call returns
  ``r cos(theta)`` and keeps ``r sin(theta)`` for the next call; the float32 result is the
  double rounded.

All of it is integer arithmetic and a few correctly rounded (or nearly) functions of doubles,
so the values here are timm's bit for bit (the float32 rounding absorbs a last-bit difference of
the math library's log/sin/cos except in a draw that lands within an ulp of a float32 rounding
boundary). The state is vectorized over many seeds at once: only the first words of each stream
are needed, and word ``i < 227`` of the first twist depends on initial words ``i``, ``i + 1`` and
``i + 397`` only.
"""

from __future__ import annotations

import math
from typing import Any, final

import attrs
import numpy as np
import numpy.typing as npt

from lrsched._arrays import on_host
from lrsched._core import ScalarFunction, Schedule
from lrsched._errors import ScheduleError
from lrsched._lattice import Lattice, Part, every_point, multiples
from lrsched._registry import constructor
from lrsched._spelling import Call, call, format_number
from lrsched._validate import choice, positive

__all__ = ["DISTRIBUTIONS", "draw", "draw_one", "noise"]

DISTRIBUTIONS = ("normal", "uniform")

_N, _M = 624, 397
_FEW = 32  # words read first: 8 Box-Muller pairs (16 draws)
_WORDS = 224  # words of the first twist computed at once: 56 Box-Muller pairs (112 draws)
_CHUNK = 8192  # seeds per block: bounds memory to _CHUNK * (_WORDS + _M) * 8 bytes
_U64 = np.uint64
UInt = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]


def _initial_words(seeds: UInt, count: int) -> tuple[UInt, UInt]:
    """Words ``0..count`` and ``397..397 + count`` of MT19937's initial state (init_genrand).

    The recurrence is sequential in the word index and runs over all seeds at once; only the
    rows the first ``count`` outputs need are kept (rows are contiguous: one row per word).
    """
    head = np.empty((count + 1, seeds.size), dtype=_U64)
    tail = np.empty((count, seeds.size), dtype=_U64)
    x = seeds.copy()
    head[0] = x
    mult, mask, shift = _U64(1812433253), _U64(0xFFFFFFFF), _U64(30)
    for i in range(1, _M + count):
        x = (mult * (x ^ (x >> shift)) + _U64(i)) & mask
        if i <= count:
            head[i] = x
        if i >= _M:
            tail[i - _M] = x
    return head, tail


def _temper(y: UInt) -> UInt:
    y = y ^ (y >> _U64(11))
    y = y ^ ((y << _U64(7)) & _U64(0x9D2C5680))
    y = y ^ ((y << _U64(15)) & _U64(0xEFC60000))
    return y ^ (y >> _U64(18))


def _first_words(seeds: UInt, count: int) -> UInt:
    """The first ``count`` (<= 227) outputs of MT19937 for each seed (< 2**32), one row a seed."""
    head, tail = _initial_words(seeds, count)
    y = (head[:count] & _U64(0x80000000)) | (head[1:] & _U64(0x7FFFFFFF))
    twisted = tail ^ (y >> _U64(1)) ^ ((y & _U64(1)) * _U64(0x9908B0DF))
    return np.ascontiguousarray(_temper(twisted).T)


def _stream(seed: int, count: int) -> UInt:
    """``count`` outputs of MT19937 for one seed: the slow path past the first twist's words."""
    generator = np.random.RandomState(seed)  # legacy seeding: init_genrand(seed)
    bits = generator._bit_generator  # the raw MT19937 words are only here
    return np.asarray(bits.random_raw(count), dtype=_U64)


def _doubles(words: UInt) -> FloatArray:
    """Torch's doubles in [0, 1): word pairs (the first high), their 53 low bits."""
    bits = ((words[..., 0::2] << _U64(32)) | words[..., 1::2]) & _U64((1 << 53) - 1)
    return bits.astype(np.float64) * 2.0**-53


def _normals(words: UInt) -> FloatArray:
    """The successive ``randn(1)`` float32 values (as float64) from the stream's words."""
    u = _doubles(words)
    u1, u2 = u[..., 0::2], u[..., 1::2]
    r = np.sqrt(-2.0 * np.log1p(-u2))
    theta = 2.0 * math.pi * u1
    pairs = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1)
    return pairs.reshape(*words.shape[:-1], -1).astype(np.float32).astype(np.float64)


def draw(keys: FloatArray, seed: int, limit: float, std: float, distribution: str) -> FloatArray:
    """The noise timm draws for each whole step ``k`` in ``keys`` (floats holding integers >= 0)."""
    # (seed + k) mod 2**32, exactly: fmod of a float holding an integer is exact.
    low = np.fmod(keys, 2.0**32).astype(_U64)
    seeds = (low + _U64(seed % 2**32)) & _U64(0xFFFFFFFF)
    unique, where = np.unique(seeds, return_inverse=True)
    values = np.empty(unique.size, dtype=np.float64)
    for start in range(0, unique.size, _CHUNK):
        block = unique[start : start + _CHUNK]
        values[start : start + block.size] = _block(block, limit, std, distribution)
    return values[where].reshape(keys.shape)


def draw_one(key: float, seed: int, limit: float, std: float, distribution: str) -> float:
    """`draw` for one step: the integer part in plain Python (no per-word numpy calls)."""
    seed32 = (int(math.fmod(key, 2.0**32)) + seed) % 2**32
    x, head, tail = seed32, [seed32], []
    for i in range(1, _M + _FEW):
        x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
        if i <= _FEW:
            head.append(x)
        if i >= _M:
            tail.append(x)
    words = []
    for i in range(_FEW):
        y = (head[i] & 0x80000000) | (head[i + 1] & 0x7FFFFFFF)
        y = tail[i] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        words.append(y ^ (y >> 18))
    if distribution == "uniform":
        return 2.0 * ((words[0] & 0xFFFFFF) * 2.0**-24 - 0.5) * limit
    # The floating-point part is the array path's own code, so both paths round alike.
    for value in (_normals(np.array([words], dtype=_U64))[0] * std).tolist():
        if abs(value) < limit:
            return float(value)
    return float(_block(np.array([seed32], dtype=_U64), limit, std, distribution)[0])


def _block(seeds: UInt, limit: float, std: float, distribution: str) -> FloatArray:
    if distribution == "uniform":
        u = (_first_words(seeds, 1)[:, 0] & _U64(0xFFFFFF)).astype(np.float64) * 2.0**-24
        return 2.0 * (u - 0.5) * limit
    out = np.empty(seeds.size, dtype=np.float64)
    todo = np.arange(seeds.size)
    for words in (_FEW, _WORDS):  # most seeds accept within the first few draws
        noise = _normals(_first_words(seeds[todo], words)) * std
        accepted = np.abs(noise) < limit
        done = accepted.any(axis=1)
        out[todo[done]] = noise[done, np.argmax(accepted[done], axis=1)]
        todo = todo[~done]
        if not todo.size:
            return out
    for i in todo.tolist():  # every one of the first 112 draws rejected
        out[i] = _rejected_long(int(seeds[i]), limit, std)
    return out


def _rejected_long(seed: int, limit: float, std: float) -> float:
    """The first accepted normal draw of one seed, reading its stream as far as it takes."""
    count = 2 * _WORDS
    while True:
        noise = _normals(_stream(seed, count)) * std
        accepted = np.flatnonzero(np.abs(noise) < limit)
        if accepted.size:
            return float(noise[accepted[0]])
        count *= 2


# ------------------------------------------------------------------------------------ node


@final
@attrs.frozen(repr=False)
class Noise(Schedule):
    """timm's noise of the whole step `floor(t)` for `seed` (see the module docstring)."""

    limit: float
    std: float = 1.0
    seed: int = 42
    distribution: str = "normal"

    def _formula(self, xp: Any, t: Any) -> Any:
        return on_host(xp, t, self._draws, self)

    def _draws(self, t: FloatArray) -> FloatArray:
        return draw(np.floor(t), self.seed, self.limit, self.std, self.distribution)

    def _spelling(self) -> Call:
        return call(self, noise)

    def _parts(self) -> tuple[Part, ...]:
        return ()

    def _breakpoints(self, end: float) -> Any:
        return multiples(self, 1.0, end)  # a new draw at every whole step

    def _extrema(self, lattice: Lattice) -> tuple[float, float]:
        return every_point(self, lattice, "every step draws anew")

    def _range(self) -> tuple[float, float]:
        return (-self.limit, self.limit)

    def _scalar(self) -> ScalarFunction:
        seed, limit, std, distribution = self.seed, self.limit, self.std, self.distribution

        def noise_at(t: float) -> float:
            return draw_one(math.floor(t), seed, limit, std, distribution)

        return noise_at


@constructor
def noise(
    limit: float, *, std: float = 1.0, seed: int = 42, distribution: str = "normal"
) -> Schedule:
    r"""Seeded noise in `(-limit, limit)`, one draw per whole step: timm's lr noise exactly.

    The value at `t` is drawn for `k = floor(t)` from the pseudo-random stream of
    `seed + k` (torch's CPU generator, reproduced without torch; the seed counts modulo
    2**32, as torch's does): with `distribution="normal"`, `std * z` for the first normal draw
    `z` with `abs(std * z) < limit`; with `"uniform"`, `limit * (2 * u - 1)` for a uniform
    draw `u` in [0, 1). The same seed gives the same values on every machine, in both the
    scalar and the array path. timm's `lr + lr * noise` is `s * (1 + noise(...))`.

    Args:
        limit: The bound of the values, > 0 (timm's `noise_pct`).
        std: The standard deviation of the normal draws, > 0, with `limit / std >= 1e-3`
            (rarer acceptances would take thousands of draws); keyword-only.
        seed: An int (timm's `noise_seed`); keyword-only.
        distribution: `"normal"` or `"uniform"`; keyword-only.

    Examples:
        >>> import lrsched as ls
        >>> n = ls.noise(0.67, seed=42)
        >>> round(n(0), 6), round(n(0.5), 6), round(n(1), 6)
        (0.33669, 0.33669, -0.648401)
        >>> s = ls.cosine(100) * (1 + n)

    """
    limit = positive("limit", limit)
    std = positive("std", std)
    if isinstance(seed, bool) or not isinstance(seed, int):
        msg = f"seed must be an int (got {type(seed).__name__}: {seed!r})"
        raise TypeError(msg)
    distribution = choice("distribution", distribution, DISTRIBUTIONS)
    if distribution == "uniform" and std != 1.0:
        msg = f"std is only used with distribution='normal' (got std={format_number(std)})"
        raise ScheduleError(msg)
    if limit / std < 1e-3:
        msg = f"limit / std must be >= 0.001 (got {format_number(limit)} / {format_number(std)})"
        raise ScheduleError(msg)
    return Noise(limit, std, seed % 2**32, distribution)
