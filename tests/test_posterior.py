"""The shipped posterior (issue 22): joint draws keep its correlations; malformed files refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.errors import InputError
from simulation.model.parameters import PARAMETERS, POSTERIOR_FILE
from simulation.model.posterior import joint_draws, posterior_draws, read_posterior


def test_the_posterior_ships_beside_the_calibrated_defaults():
    assert POSTERIOR_FILE.is_file()
    table = read_posterior()
    assert len(table) >= 100 and len(table.columns) >= 2
    calibrated = {name for name, p in PARAMETERS.items() if p.calibrated}
    assert set(table.columns) == calibrated  # the parameters calibrated.toml sets


def test_joint_draws_keep_the_posteriors_correlations():
    posterior = read_posterior()
    file_corr = posterior.corr().to_numpy()
    off = ~np.eye(len(file_corr), dtype=bool)
    strong = np.abs(file_corr[off]).max()
    assert strong > 0.3  # the test means something: some parameters are correlated
    draws = posterior_draws(8000, np.random.default_rng(3))
    drawn_corr = draws.corr().to_numpy()
    # Monte Carlo error of a correlation from 8,000 resampled rows (of which about 330
    # distinct) is well under 0.05; independent marginals would put every entry near 0
    assert np.abs(drawn_corr - file_corr)[off].max() < 0.08
    rng = np.random.default_rng(4)  # independent marginals: each column on its own
    shuffled = posterior.apply(lambda c: rng.permutation(c.to_numpy()))
    assert np.abs(shuffled.corr().to_numpy() - file_corr)[off].max() > 0.25


def test_each_draw_is_a_whole_row_and_integers_stay_integers():
    posterior = read_posterior()
    draws = joint_draws(50, np.random.default_rng(1))
    assert draws.index.name == "posterior_row" and draws.index.is_unique  # 50 <= rows: none twice
    pd.testing.assert_frame_equal(draws.reset_index(drop=True),
                                  posterior.iloc[draws.index].reset_index(drop=True))
    for name, p in PARAMETERS.items():
        if name in draws and p.kind is int:
            assert draws[name].dtype == np.int64
    again = joint_draws(50, np.random.default_rng(1))
    pd.testing.assert_frame_equal(draws, again)  # the caller's Generator decides
    more = joint_draws(len(posterior) + 10, np.random.default_rng(2))
    assert len(more) == len(posterior) + 10  # with replacement beyond the file's rows


@pytest.mark.parametrize("case", ["unknown column", "out of range", "fractional integer",
                                  "empty", "not parquet"])
def test_a_malformed_posterior_is_refused_naming_the_column(tmp_path, case):
    good = pd.read_parquet(POSTERIOR_FILE)
    path = tmp_path / "posterior.parquet"
    if case == "not parquet":
        path.write_text("reservation_match\n0.5\n")
    else:
        bad = {
            "unknown column": lambda f: f.rename(columns={"match_scale": "match_scales"}),
            "out of range": lambda f: f.assign(reservation_match=-1.0),
            "fractional integer": lambda f: f.assign(placement_slots=4.5),
            "empty": lambda f: f.iloc[:0],
        }[case](good)
        bad.to_parquet(path)
    with pytest.raises(InputError) as caught:
        joint_draws(3, np.random.default_rng(0), path)
    assert str(path) in str(caught.value)
    expected = {"unknown column": "match_scales", "out of range": "reservation_match",
                "fractional integer": "placement_slots", "empty": "no draws",
                "not parquet": "cannot read"}[case]
    assert expected in str(caught.value)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n must be"):
        joint_draws(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="Generator"):
        joint_draws(3, 42)
