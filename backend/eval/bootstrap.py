"""How much of a validation figure is noise: domain-stratified bootstrap over images.

The validation reports average per-image scores within each domain, then average the
domains (``apls_mean_of_domains``). With 10 Google/EPFL and 44 Massachusetts select images,
a difference of 0.01 between two candidates can be luck. Resampling the images of each
domain with replacement (the domains themselves are fixed, as in the reports) gives an
interval for one model's figure, and, pairing the same images across two models, for the
difference between them (Efron & Tibshirani 1993, ch. 13: percentile intervals).

Scores are ``{domain: {image key: score}}``, e.g. a LineGraph2Road report's
``per_domain[d]["apls_per_image"]``. Used by ``python -m backend.train.linegraph2road
compare``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["DomainScores", "bootstrap_mean_of_domains"]

#: ``{domain: {image key: score}}``.
DomainScores = Mapping[str, Mapping[str, float]]


def _paired_arrays(
    a: DomainScores, b: DomainScores | None
) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    if not a:
        raise ValueError("no per-image scores: the report has no scored images")
    if b is not None and set(b) != set(a):
        raise ValueError(
            f"the reports cover different domains ({sorted(a)} against {sorted(b)}); "
            "compare reports of the same split"
        )
    out: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for domain in sorted(a):
        keys = sorted(a[domain])
        if not keys:
            raise ValueError(f"domain {domain!r} has no scored images")
        if b is not None:
            other = b[domain]
            if sorted(other) != keys:
                raise ValueError(
                    f"domain {domain!r}: the two reports scored different images "
                    f"({len(keys)} against {len(other)}); compare reports of the same split, "
                    "made on the same data folder"
                )
        first = np.array([a[domain][k] for k in keys], dtype=np.float64)
        second = None if b is None else np.array([b[domain][k] for k in keys], dtype=np.float64)
        out[domain] = (first, second)
    return out


def bootstrap_mean_of_domains(
    scores_a: DomainScores,
    scores_b: DomainScores | None = None,
    *,
    n_draws: int = 10000,
    confidence: float = 0.90,
    seed: int = 0,
) -> dict:
    """Percentile interval of a mean-of-domains score, or of a paired difference.

    Each draw resamples, per domain, as many images as the domain has (with replacement) and
    takes the mean of the domain means. With ``scores_b`` the same drawn images score both
    models and the statistic is ``mean_of_domains(a) - mean_of_domains(b)``.

    Args:
        scores_a: ``{domain: {image key: score}}`` of model A.
        scores_b: the same keys for model B, or None for an interval of A alone.
        n_draws: bootstrap draws (>= 100).
        confidence: two-sided coverage of the interval, in (0, 1).
        seed: random seed (the result is deterministic for a seed).

    Returns:
        ``{"estimate", "low", "high", "standard_error", "confidence", "n_draws",
        "per_domain": {domain: {"n_images", "estimate", "low", "high", "standard_error"}}}``,
        where the estimate is the statistic on the images as they are and the per-domain
        figures are of the domain mean (or mean difference).

    Raises:
        ValueError: no scores, a domain without images, reports over different images or
            domains, ``n_draws`` < 100 or ``confidence`` outside (0, 1).
    """
    if n_draws < 100:
        raise ValueError(f"n_draws must be at least 100 for a percentile interval, got {n_draws}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    arrays = _paired_arrays(scores_a, scores_b)
    rng = np.random.default_rng(seed)
    tail = (1.0 - confidence) / 2.0
    draws = np.zeros(n_draws)
    per_domain: dict[str, dict] = {}
    for domain, (first, second) in arrays.items():
        values = first if second is None else first - second
        picks = rng.integers(0, len(values), size=(n_draws, len(values)))
        domain_draws = values[picks].mean(axis=1)
        draws += domain_draws / len(arrays)
        domain_low, domain_high = np.quantile(domain_draws, [tail, 1.0 - tail])
        per_domain[domain] = {
            "n_images": int(len(values)),
            "estimate": float(values.mean()),
            "low": float(domain_low),
            "high": float(domain_high),
            "standard_error": float(domain_draws.std(ddof=1)),
        }
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return {
        "estimate": float(np.mean([d["estimate"] for d in per_domain.values()])),
        "low": float(low),
        "high": float(high),
        "standard_error": float(draws.std(ddof=1)),
        "confidence": confidence,
        "n_draws": n_draws,
        "per_domain": per_domain,
    }
