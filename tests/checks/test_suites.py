"""Every suite passes on its reference and fails on the seed's version and on mutants.

A wrong version runs only the checks it is declared to fail (``caught_by`` / ``CAUGHT_BY``),
and every one of them must fail; the declarations are the record of which check kills
which mutant.
"""

import importlib

import keras
import pytest

from autograder.checks import load_suite
from autograder.mutation import load_mutants, namespace_of, reference_source, seed_caught_by, seed_source
from autograder.topics import all_slugs, get_topic

SLUGS = all_slugs()

MUTANT_CASES = [(slug, m) for slug in SLUGS for m in load_mutants(slug)]


def _failed(slug, ns, only=None):
    """Failed checks of the suite on ``ns`` (restricted to the ids in ``only`` if given)."""
    keras.utils.set_random_seed(0)
    suite = load_suite(slug)
    checks = [c for c in suite.checks if only is None or c.id in only]
    if only is not None:
        unknown = set(only) - {c.id for c in checks}
        assert not unknown, f"no such checks in {slug}: {sorted(unknown)}"
    results = [c.run(ns) for c in checks]
    return {r.name: r.message for r in results if not r.passed}


@pytest.mark.parametrize("slug", SLUGS)
def test_reference_passes_every_check(slug):
    ns = vars(importlib.import_module(f"solutions.{slug}"))
    assert _failed(slug, ns) == {}


@pytest.mark.parametrize("slug", SLUGS)
def test_suite_has_visible_and_hidden_checks_in_every_group(slug):
    suite = load_suite(slug)
    assert any(not c.hidden for c in suite.checks), "no visible check"
    for group, points, checks in suite.groups():
        assert points > 0 and checks, f"group {group} has no checks or no points"
        assert any(c.hidden for c in checks), f"group {group} has no hidden check"


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_version_fails(slug):
    if get_topic(slug).beyond_seed:
        pytest.skip("a topic beyond the seed has no seed version; its mutants give it teeth")
    source = seed_source(slug)
    if source is None:
        pytest.fail(f"tests/fixtures/seed/{slug}.py is missing")
    expected = set(seed_caught_by(slug))
    assert expected, "CAUGHT_BY must name at least one check"
    failed = _failed(slug, namespace_of(source, f"seed_{slug}"), only=expected)
    assert expected <= set(failed), f"seed version: expected {sorted(expected)} to fail, failed: {failed}"


@pytest.mark.parametrize("slug", SLUGS)
def test_at_least_three_mutants(slug):
    assert len(load_mutants(slug)) >= 3


@pytest.mark.parametrize(("slug", "mutant"), MUTANT_CASES, ids=[f"{s}-{m.name}" for s, m in MUTANT_CASES])
def test_mutant_is_caught(slug, mutant):
    source = mutant.apply(reference_source(slug))
    failed = _failed(slug, namespace_of(source, f"{slug}_{mutant.name}"), only=set(mutant.caught_by))
    missing = set(mutant.caught_by) - set(failed)
    assert failed, f"mutant {mutant.name} passed every check"
    assert not missing, f"mutant {mutant.name}: {sorted(missing)} did not catch it; failed: {failed}"
