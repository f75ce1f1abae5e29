"""Domain-stratified bootstrap of mean-of-domains scores (backend.eval.bootstrap)."""

from __future__ import annotations

import numpy as np
import pytest

from backend.eval.bootstrap import bootstrap_mean_of_domains


def _scores(values_by_domain: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {d: {f"{d}_{i}": v for i, v in enumerate(vs)} for d, vs in values_by_domain.items()}


def test_estimate_is_the_mean_of_domain_means_and_the_interval_holds_it():
    a = _scores({"small": [0.1, 0.9], "large": [0.5] * 40})
    result = bootstrap_mean_of_domains(a, n_draws=2000, seed=1)
    assert result["estimate"] == pytest.approx((0.5 + 0.5) / 2)
    assert result["low"] < result["estimate"] < result["high"]
    # A constant domain has no spread; the two-image domain carries all of it.
    assert result["per_domain"]["large"]["standard_error"] == pytest.approx(0.0)
    assert result["per_domain"]["small"]["standard_error"] > 0.2
    assert result["per_domain"]["small"]["n_images"] == 2


def test_paired_difference_cancels_what_both_models_share():
    rng = np.random.default_rng(0)
    hard = rng.uniform(0, 1, size=30).tolist()  # image difficulty, shared by both models
    a = _scores({"d": [h + 0.05 for h in hard]})
    b = _scores({"d": hard})
    paired = bootstrap_mean_of_domains(a, b, n_draws=2000)
    alone = bootstrap_mean_of_domains(a, n_draws=2000)
    assert paired["estimate"] == pytest.approx(0.05)
    # Every image gains exactly 0.05, so pairing leaves no noise at all.
    assert paired["low"] == pytest.approx(0.05) and paired["high"] == pytest.approx(0.05)
    assert alone["high"] - alone["low"] > 0.1


def test_deterministic_for_a_seed_and_wider_at_higher_confidence():
    a = _scores({"x": [0.2, 0.4, 0.3, 0.8, 0.1], "y": [0.5, 0.6, 0.7]})
    first = bootstrap_mean_of_domains(a, seed=3, n_draws=1000)
    assert first == bootstrap_mean_of_domains(a, seed=3, n_draws=1000)
    wide = bootstrap_mean_of_domains(a, seed=3, n_draws=1000, confidence=0.99)
    assert wide["high"] - wide["low"] > first["high"] - first["low"]


def test_reports_over_other_images_or_bad_settings_are_refused():
    a = _scores({"d": [0.1, 0.2]})
    with pytest.raises(ValueError, match="different images"):
        bootstrap_mean_of_domains(a, _scores({"d": [0.1, 0.2, 0.3]}))
    with pytest.raises(ValueError, match="different domains"):
        bootstrap_mean_of_domains(a, {**_scores({"d": [0.1, 0.2]}), "e": {"e_0": 0.5}})
    with pytest.raises(ValueError, match="different domains"):
        bootstrap_mean_of_domains({**a, "e": {"e_0": 0.5}}, a)
    with pytest.raises(ValueError, match="no per-image scores"):
        bootstrap_mean_of_domains({})
    with pytest.raises(ValueError, match="n_draws"):
        bootstrap_mean_of_domains(a, n_draws=10)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_mean_of_domains(a, confidence=1.5)
