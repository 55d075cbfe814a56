"""Private names of libraries that kiemtin reads, each imported and exercised here, so an upgrade that moves
one fails in CI rather than at serving time. pyproject.toml caps each of these libraries with a comment that
points here; raise a cap only after this file passes on the new version."""

from __future__ import annotations

import inspect

import httpcore
import httpx
import numpy as np
import pytest
import typer.core
from bs4 import BeautifulSoup
from bs4.builder._lxml import LXMLTreeBuilder
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from starlette.datastructures import State
from typer import rich_utils
from typer._click.formatting import HelpFormatter

from classifier.boost import CompactBoost
from classifier.fast_path import _BoostPredictor
from cli.help import RICH_WORDS

# The fields of a HistGradientBoosting TreePredictor's ``nodes`` record array that classifier/fast_path.py reads.
TREE_NODE_FIELDS = {"is_leaf", "left", "right", "feature_idx", "num_threshold", "missing_go_to_left", "value",
                    "depth", "is_categorical"}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3))
    X[::17, 1] = np.nan  # missing values take the trees' missing_go_to_left branch
    y = (np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) + rng.normal(scale=0.5, size=200) > 0).astype(int)
    return X, y


def test_sigmoid_calibration_keeps_its_class_and_a_b_parameters(data) -> None:
    X, y = data
    X = np.nan_to_num(X)
    clf = CalibratedClassifierCV(LogisticRegression(), method="sigmoid", cv=3, ensemble=False).fit(X, y)
    (inner,) = clf.calibrated_classifiers_
    assert inner.method == "sigmoid" and isinstance(inner.estimator, LogisticRegression)
    (calibrator,) = inner.calibrators
    assert isinstance(calibrator, _SigmoidCalibration)
    # fast_path computes the calibrated probability as expit(-(a * decision + b)) from these two numbers
    decision = inner.estimator.decision_function(X)
    np.testing.assert_allclose(expit(-(calibrator.a_ * decision + calibrator.b_)), clf.predict_proba(X)[:, 1])


def test_hist_gradient_boosting_keeps_its_predictors_and_node_layout(data) -> None:
    X, y = data
    boost = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0).fit(X, y)
    assert boost.n_trees_per_iteration_ == 1
    assert len(boost._predictors) == boost.n_iter_ and all(len(p) == 1 for p in boost._predictors)
    assert np.asarray(boost._baseline_prediction).size == 1
    assert set(boost._predictors[0][0].nodes.dtype.names) >= TREE_NODE_FIELDS
    predictor = _BoostPredictor(boost)  # the vectorised walk over those nodes agrees with scikit-learn's own
    assert predictor.ok
    np.testing.assert_allclose(predictor.proba(X), boost.predict_proba(X)[:, 1], rtol=1e-10, atol=1e-12)


def test_hist_gradient_boosting_trees_are_rebuilt_from_their_nodes_alone(data) -> None:
    """classifier/boost.py stores the trees' ``nodes`` as one array and rebuilds each TreePredictor(nodes,
    binned_left_cat_bitsets, raw_left_cat_bitsets) on load, with empty bitsets."""
    import pickle

    X, y = data
    boost = CompactBoost(max_iter=20, max_leaf_nodes=7, random_state=0).fit(X, y)
    state = boost.__getstate__()
    assert "_predictors" not in state and state["tree_sizes_"].size == boost.n_iter_
    again = pickle.loads(pickle.dumps(boost))
    np.testing.assert_array_equal(again.predict_proba(X), boost.predict_proba(X))
    assert _BoostPredictor(again).ok


def test_httpx_transport_keeps_an_httpcore_pool_at_underscore_pool() -> None:
    transport = httpx.AsyncHTTPTransport()
    assert isinstance(transport._pool, httpcore.AsyncConnectionPool)  # crawler/transport.py replaces it


def test_starlette_state_keeps_its_dict_at_underscore_state() -> None:
    state = State()
    state.auth_user = None  # review/web/deps.py asks "auth_user" in request.state._state
    assert state._state == {"auth_user": None}


def test_bs4_lxml_builder_is_lxml_s_parser_target_and_an_error_there_stops_the_parse() -> None:
    """crawler/pagelimits.py counts elements in LXMLTreeBuilder.start/comment and raises there to stop lxml."""
    seen: list[str] = []

    class Counting(LXMLTreeBuilder):
        def start(self, tag, attrib, nsmap=None):  # type: ignore[no-untyped-def]
            seen.append(tag)
            if len(seen) > 10:
                raise OverflowError("stop")
            super().start(tag, attrib, nsmap or {})

        def comment(self, text):  # type: ignore[no-untyped-def]
            seen.append("<!--")
            super().comment(text)

    soup = BeautifulSoup("<p>a<!-- c --><b>b</b></p>", builder=Counting())
    assert seen == ["html", "body", "p", "<!--", "b"] and str(soup.b) == "<b>b</b>"
    seen.clear()
    with pytest.raises(OverflowError):
        BeautifulSoup("<div>" * 1000, builder=Counting())
    assert len(seen) == 11  # lxml stopped at the error: it did not hand over the other 989 elements


def test_typer_keeps_its_help_words_where_cli_help_translates_them() -> None:
    """cli/help.py puts the words of Typer's rich help in the CLI's language by setting these module constants,
    replaces Typer's gettext hook ``typer.core._`` and gives "Usage: " through Click's formatter."""
    assert all(isinstance(getattr(rich_utils, name), str) for name in RICH_WORDS)
    source = inspect.getsource(typer.core)  # the hook itself: another test may have set it already
    assert "from gettext import gettext as _" in source
    assert all(f'_("{word}")' in source for word in ("No such command {name!r}.", "Missing command."))
    formatter = HelpFormatter(width=80)
    formatter.write_usage("kiemtin", "[OPTIONS]", prefix="Cách dùng: ")
    assert formatter.getvalue() == "Cách dùng: kiemtin [OPTIONS]\n"
