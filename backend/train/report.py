"""One validation report for every road model (issue 10, item 2): segmentation part.

A model enters as a function from an ``(H, W, 3)`` uint8 RGB image at the model's GSD to an
``(H, W)`` road probability in 0..1, so Anchor-SAM, the RoadGIE engine (no clicks) and a
LineGraph2Road mask head are scored the same way. Each image of the multi-domain set
(:func:`backend.train.datasets.multi_domain_samples`) is resampled to the model GSD (the
11-bit pan band stretched between its 2nd and 98th percentiles, as the jobs' raster reader
does), predicted, and the probability resampled back to the label's own pixel grid, where
road pixels are counted against the label (no relaxation, no-data excluded).

Per domain: precision, recall, F1 and IoU of the road class. Partial labels (SpaceNet Vegas
pan) are scored only where a label exists: recall of labelled road pixels, plus the fraction
of the window marked road (precision and IoU are undefined there). Pooled figures:
``mean_of_domains`` (each fully labelled domain weighs the same; the headline figure) and
``pooled_pixels`` (all fully labelled pixels together).

The threshold is chosen on the ``select`` split (best mean-of-domains F1 on a grid) and the
``report`` split is scored at that threshold and at 0.5, so no reported figure comes from
the data it was tuned on.

Run ``python -m backend.train.anchor_sam report --help`` (the report of a model file).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from backend.train.datasets import (
    LoadedSample,
    image_to_float_rgb,
    load_domain_sample,
    multi_domain_samples,
    resize_hw,
)

#: A model as the report sees it: (H, W, 3) uint8 RGB at the model GSD -> (H, W) float 0..1.
ProbabilityFn = Callable[[np.ndarray], np.ndarray]

DEFAULT_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
#: Smallest side (model pixels) an image is given to the model; smaller ones are padded by
#: reflection (RoadNet Ottawa is 107 px at 1 m).
MIN_SIDE_PX = 64


def probability_at_label_grid(
    predict: ProbabilityFn, sample: LoadedSample, model_gsd_m: float
) -> np.ndarray:
    """Road probability of a sample on its label's pixel grid.

    Args:
        predict: the model (see :data:`ProbabilityFn`).
        sample: image, label and valid mask at the sample's own GSD.
        model_gsd_m: metres per pixel the model runs at.

    Returns:
        (H, W) float32 probability, H and W those of ``sample.label``.
    """
    info = sample.info
    rgb = image_to_float_rgb(sample.image, info.bit_depth, (2.0, 98.0), sample.valid)
    h, w = sample.label.shape
    scale = info.gsd_m / model_gsd_m
    size = (max(int(round(h * scale)), 1), max(int(round(w * scale)), 1))
    small = resize_hw(rgb, size) if size != (h, w) else rgb
    small = np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8)
    ph, pw = max(MIN_SIDE_PX - size[0], 0), max(MIN_SIDE_PX - size[1], 0)
    if ph or pw:
        small = np.pad(small, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    prob = np.asarray(predict(small), dtype=np.float32)[: size[0], : size[1]]
    if prob.shape != (h, w):
        prob = resize_hw(prob, (h, w), antialias=False)
    return np.clip(prob, 0.0, 1.0)


def _metrics(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    iou = tp / (tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "iou": iou}


def count_split(
    predict: ProbabilityFn, samples: Sequence[LoadedSample], model_gsd_m: float,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> dict[str, dict[str, dict[str, int]]]:
    """Pixel counts per domain and threshold.

    Returns:
        ``{domain: {"0.5": {"tp", "fp", "fn", "pred", "valid", "images"}, ...}}``; ``pred``
        counts predicted road pixels among valid ones.
    """
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for sample in samples:
        prob = probability_at_label_grid(predict, sample, model_gsd_m)
        truth = sample.label & sample.valid
        per_t = counts.setdefault(sample.info.domain, {
            f"{t:g}": {"tp": 0, "fp": 0, "fn": 0, "pred": 0, "valid": 0, "images": 0}
            for t in thresholds})
        for t in thresholds:
            pred = (prob >= t) & sample.valid
            c = per_t[f"{t:g}"]
            c["tp"] += int((pred & truth).sum())
            c["fp"] += int((pred & ~truth).sum())
            c["fn"] += int((~pred & truth).sum())
            c["pred"] += int(pred.sum())
            c["valid"] += int(sample.valid.sum())
            c["images"] += 1
    return counts


def summarise(
    counts: dict[str, dict[str, dict[str, int]]], threshold: float,
    partial_domains: Sequence[str] = (),
) -> dict[str, Any]:
    """Per-domain and pooled metrics at one threshold from :func:`count_split` counts."""
    key = f"{threshold:g}"
    domains: dict[str, Any] = {}
    full = []
    for name in sorted(counts):
        c = counts[name][key]
        fraction = c["pred"] / c["valid"] if c["valid"] else 0.0
        if name in partial_domains:
            recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
            domains[name] = {"recall_of_labelled_roads": recall, "road_fraction": fraction,
                             "partial_labels": True, **c}
        else:
            domains[name] = {**_metrics(c["tp"], c["fp"], c["fn"]), "road_fraction": fraction,
                             **c}
            full.append(name)
    summary: dict[str, Any] = {"threshold": threshold, "domains": domains}
    if full:
        summary["mean_of_domains"] = {
            m: float(np.mean([domains[d][m] for d in full]))
            for m in ("precision", "recall", "f1", "iou")}
        tp, fp, fn = (sum(counts[d][key][k] for d in full) for k in ("tp", "fp", "fn"))
        summary["pooled_pixels"] = _metrics(tp, fp, fn)
        summary["pooled_domains"] = full
    return summary


def choose_threshold(
    counts: dict[str, dict[str, dict[str, int]]], partial_domains: Sequence[str] = ()
) -> float:
    """The threshold with the best mean-of-domains F1 (ties: the one closest to 0.5)."""
    thresholds = sorted({float(t) for c in counts.values() for t in c})
    if not thresholds:
        raise ValueError("no counts to choose a threshold from")

    def score(t: float) -> tuple[float, float]:
        s = summarise(counts, t, partial_domains)
        return (s.get("mean_of_domains", {}).get("f1", 0.0), -abs(t - 0.5))

    return max(thresholds, key=score)


def segmentation_report(
    predict: ProbabilityFn, samples: Sequence[LoadedSample], model_gsd_m: float,
    model_name: str, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> dict[str, Any]:
    """The segmentation report of a model on the ``select`` and ``report`` splits.

    Args:
        predict: the model (see :data:`ProbabilityFn`).
        samples: loaded samples of the multi-domain set (training ones are ignored).
        model_gsd_m: metres per pixel the model runs at.
        model_name: written into the report.
        thresholds: grid the threshold is chosen from on the ``select`` split.

    Returns:
        ``{"model", "model_gsd_m", "threshold_chosen_on", "threshold", "select": summary,
        "report": summary at the chosen threshold, "report_at_0.5": summary, "headline"}``;
        a summary is :func:`summarise`'s dict.

    Raises:
        ValueError: no ``report`` samples.
    """
    partial = sorted({s.info.domain for s in samples if s.info.partial})
    select = [s for s in samples if s.info.split == "select"]
    report = [s for s in samples if s.info.split == "report"]
    if not report:
        raise ValueError("no report-split samples to score")
    grid = sorted(set(thresholds) | {0.5})
    threshold = 0.5
    out: dict[str, Any] = {"model": model_name, "model_gsd_m": model_gsd_m,
                           "partial_label_domains": partial}
    if select:
        select_counts = count_split(predict, select, model_gsd_m, grid)
        threshold = choose_threshold(select_counts, partial)
        out["select"] = summarise(select_counts, threshold, partial)
        out["threshold_chosen_on"] = "select split (" + ", ".join(
            sorted({s.info.domain for s in select})) + "): best mean-of-domains F1"
    else:
        out["threshold_chosen_on"] = "fixed at 0.5 (no select split)"
    report_counts = count_split(predict, report, model_gsd_m, sorted({threshold, 0.5}))
    out["threshold"] = threshold
    out["report"] = summarise(report_counts, threshold, partial)
    out["report_at_0.5"] = summarise(report_counts, 0.5, partial)
    rep = out["report"]
    out["headline"] = {
        "report_mean_of_domains_iou": rep.get("mean_of_domains", {}).get("iou", 0.0),
        "report_mean_of_domains_f1": rep.get("mean_of_domains", {}).get("f1", 0.0),
        **{f"{d}_iou": v["iou"] for d, v in rep["domains"].items() if "iou" in v},
        **{f"{d}_recall_of_labelled_roads": v["recall_of_labelled_roads"]
           for d, v in rep["domains"].items() if "recall_of_labelled_roads" in v},
    }
    return out


def report_markdown(report: dict[str, Any]) -> str:
    """The report as a markdown page (tables per split)."""
    lines = [f"# Validation report: {report['model']}", "",
             f"Model GSD {report['model_gsd_m']:g} m. Threshold {report['threshold']:g}, chosen "
             f"on: {report['threshold_chosen_on']}. The report split was not used to choose "
             "anything. Partial-label domains ("
             + (", ".join(report["partial_label_domains"]) or "none")
             + ") are scored as recall of labelled road pixels only.", ""]
    for name, title in (("report", "Report split (held out)"),
                        ("report_at_0.5", "Report split at threshold 0.5"),
                        ("select", "Select split (threshold/checkpoint chosen here)")):
        if name not in report:
            continue
        s = report[name]
        lines += [f"## {title}, threshold {s['threshold']:g}", "",
                  "| domain | images | precision | recall | F1 | IoU | road fraction |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for d, v in s["domains"].items():
            if v.get("partial_labels"):
                lines.append(f"| {d} (partial labels) | {v['images']} | - | "
                             f"{v['recall_of_labelled_roads']:.3f} | - | - | "
                             f"{v['road_fraction']:.3f} |")
            else:
                lines.append(f"| {d} | {v['images']} | {v['precision']:.3f} | "
                             f"{v['recall']:.3f} | {v['f1']:.3f} | {v['iou']:.3f} | "
                             f"{v['road_fraction']:.3f} |")
        for pooled in ("mean_of_domains", "pooled_pixels"):
            if pooled in s:
                v = s[pooled]
                lines.append(f"| **{pooled}** | | {v['precision']:.3f} | {v['recall']:.3f} | "
                             f"{v['f1']:.3f} | {v['iou']:.3f} | |")
        lines.append("")
    return "\n".join(lines)


def write_report(
    report: dict[str, Any],
    path_stem: str | Path,
    markdown: Callable[[dict[str, Any]], str] = report_markdown,
) -> tuple[Path, Path]:
    """Write ``STEM.json`` and ``STEM.md`` (``markdown(report)``; default: the segmentation
    table) of any model's validation report; returns both paths. Suffixes are appended, not
    replaced: a stem like ``model.report`` must not become ``model.json`` (the model card)."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    json_path, md_path = stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".md")
    json_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    md_path.write_text(markdown(report).rstrip("\n") + "\n")
    return json_path, md_path


def load_eval_samples(roads_root: str | Path, domains: Sequence[str] | None = None,
                      splits: Sequence[str] = ("select", "report")) -> list[LoadedSample]:
    """Load the ``select`` and ``report`` samples of the multi-domain set."""
    return [load_domain_sample(s) for s in multi_domain_samples(roads_root, domains)
            if s.split in splits]


def anchor_sam_probability_fn(
    model: Any, device: str = "cpu", test_time_augmentation: int = 1
) -> ProbabilityFn:
    """Wrap an Anchor-SAM network (eval mode) as a :data:`ProbabilityFn`, averaging
    ``test_time_augmentation`` views (``predict_probability``)."""
    from backend.methods.anchor_sam.predict import predict_probability

    def predict(image: np.ndarray) -> np.ndarray:
        return predict_probability(
            model, image, device, test_time_augmentation=test_time_augmentation
        )

    return predict
