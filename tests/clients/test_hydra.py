"""The Hydra and YAML recipes of docs/recipes.md, run against the real libraries.

Hydra's `instantiate` builds schedules from `_target_` nodes, nested ones and lists of them
included; OmegaConf keeps a schedule as a value where objects are allowed and refuses it with an
error where they are not (it used to take the schedule apart into its fields, silently).
"""

from __future__ import annotations

from pathlib import Path

import pytest

hydra = pytest.importorskip("hydra", reason="the [clients] extra installs hydra-core")
yaml = pytest.importorskip("yaml", reason="the [clients] extra installs pyyaml")

from hydra import compose, initialize_config_dir  # noqa: E402 (after the import guards)
from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from omegaconf.errors import UnsupportedValueType  # noqa: E402

import lrsched as ls  # noqa: E402

CONFIG = """\
# conf/train.yaml
lr: 0.1
schedule: "warmup(cosine(95, end=0.01), 5)"   # the text form
schedule_as_data:                              # the dict form
  type: warmup
  s: {type: cosine, duration: 95, end: 0.01}
  duration: 5
schedule_as_targets:                           # Hydra's _target_ nodes
  _target_: lrsched.concat
  schedules:
    - _target_: lrsched.warmup
      s: {_target_: lrsched.cosine, duration: 45}
      duration: 5
    - {_target_: lrsched.constant, value: 0.01}
  boundaries: [50]
product_of_targets:
  _target_: lrsched.product
  _args_:
    - 0.1
    - {_target_: lrsched.cosine, duration: 100}
    - {_target_: lrsched.step, size: 30, gamma: 0.5}
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "train.yaml").write_text(CONFIG)
    return folder


def test_instantiate_builds_nested_targets_and_lists_of_them(conf: Path) -> None:
    with initialize_config_dir(config_dir=str(conf), version_base=None):
        cfg = compose(config_name="train")
    concat = instantiate(cfg.schedule_as_targets)
    assert concat == ls.concat([ls.warmup(ls.cosine(45), 5), ls.constant(0.01)], [50])
    product = instantiate(cfg.product_of_targets)
    assert product == 0.1 * ls.cosine(100) * ls.step(30, 0.5)
    assert isinstance(product, ls.Schedule)
    assert product(60) == pytest.approx(0.1 * ls.cosine(100)(60) * 0.25, rel=1e-12)


def test_text_form_and_dict_form_from_a_config_and_an_override(conf: Path) -> None:
    with initialize_config_dir(config_dir=str(conf), version_base=None):
        cfg = compose(config_name="train")
        overridden = compose(config_name="train", overrides=['schedule="warmup(cosine(195), 5)"'])
    assert ls.parse(cfg.schedule) == ls.from_dict(cfg.schedule_as_data)
    assert ls.parse(overridden.schedule) == ls.warmup(ls.cosine(195), 5)


def test_omegaconf_keeps_a_schedule_as_a_value_or_refuses_it() -> None:
    s = 0.1 * ls.warmup(ls.cosine(95), 5)
    kept = OmegaConf.create({"sched": s}, flags={"allow_objects": True})
    assert kept.sched is s
    with pytest.raises(UnsupportedValueType, match="Product"):
        OmegaConf.create({"sched": s})  # once silently {'schedules': ...}, the fields
    as_text = OmegaConf.create({"sched": repr(s)})  # the recipe: store the text form
    assert ls.parse(as_text.sched) == s


def test_pyyaml_reads_1e_minus_1_as_a_string_as_the_recipe_warns() -> None:
    loaded = yaml.safe_load("type: step\nsize: 30\ngamma: 1e-1\n")
    assert loaded["gamma"] == "1e-1"  # YAML 1.1: a float needs a dot
    with pytest.raises(ls.ScheduleError, match=r"gamma: gamma must be a real number \(got '1e-1'"):
        ls.from_dict(loaded)
    fixed = yaml.safe_load("type: step\nsize: 30\ngamma: 1.0e-1\n")
    assert ls.from_dict(fixed) == ls.step(30, 0.1)
    assert ls.parse(yaml.safe_load('schedule: "step(30, 1e-1)"')["schedule"]) == ls.step(30, 0.1)
