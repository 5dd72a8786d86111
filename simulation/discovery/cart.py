"""A CART tree as a second view of scenario discovery (scikit-learn).

Where PRIM peels one box, a classification tree splits the whole space into
boxes (its leaves), each with its share of cases.  The leaves where the case
of interest dominates are boxes to compare with PRIM's.
"""

from __future__ import annotations

import numpy as np


def fit(x: np.ndarray, y: np.ndarray, names: list[str], max_depth: int = 3,
        min_leaf: float = 0.05, seed: int = 0):
    """A classification tree of the case of interest; leaves hold at least ``min_leaf`` of points."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf,
                                  random_state=seed)
    tree.fit(np.asarray(x, dtype=float), np.asarray(y, dtype=bool))
    tree.feature_names = list(names)
    return tree


def leaves(tree, n_features: int) -> list[dict]:
    """Each leaf as a box: limits per factor, its points' share and its share of cases.

    Returns:
        One dict per leaf: ``low`` and ``high`` arrays (``-inf``/``inf`` where
        the path does not split that factor), ``mass`` and ``density``.
    """
    t = tree.tree_
    total = t.n_node_samples[0]
    out = []

    def walk(node, low, high):
        if t.children_left[node] == t.children_right[node]:  # a leaf
            counts = t.value[node][0]
            density = float(counts[1] / counts.sum()) if len(counts) > 1 else 0.0
            out.append({"low": low.copy(), "high": high.copy(),
                        "mass": float(t.n_node_samples[node] / total), "density": density})
            return
        j, cut = t.feature[node], t.threshold[node]
        left_high = high.copy()
        left_high[j] = min(high[j], cut)
        walk(t.children_left[node], low, left_high)
        right_low = low.copy()
        right_low[j] = max(low[j], cut)
        walk(t.children_right[node], right_low, high)

    walk(0, np.full(n_features, -np.inf), np.full(n_features, np.inf))
    return out


def describe(tree) -> str:
    """The tree as text rules (``sklearn.tree.export_text``)."""
    from sklearn.tree import export_text

    return export_text(tree, feature_names=tree.feature_names)
