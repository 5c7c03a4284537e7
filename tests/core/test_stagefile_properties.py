"""The stage file, canary and ledger parsers on any input: a typed value or the domain error,
never another exception; and what llmgit writes reads back as written."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmgit.core import canaryfile, ledgerfile, stagefile, yamlio
from llmgit.core.canaryfile import Canary
from llmgit.core.ledgerfile import Ledger
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import Entry, StageFile
from llmgit.errors import BadRecord, CanaryRecordError, StageFileError, UsageError

names = st.from_regex(r"[a-z0-9](?:[a-z0-9._-]{0,20}[a-z0-9])?", fullmatch=True).filter(lambda n: ".." not in n)
plain = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Cf")), max_size=40)
versions_ = st.tuples(*[st.integers(0, 99)] * 3).map(lambda t: ".".join(map(str, t)))
commits = st.text("0123456789abcdef", min_size=40, max_size=40)
md5s = st.sampled_from(["", "0123456789abcdef" * 2])
yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20), st.binary(max_size=8)
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
# YAML fragments that exercise the parser's corners: aliases, tags, flow and block collections
fragments = st.lists(
    st.sampled_from(
        [
            "llmgit: 1\n",
            "stage: production\n",
            "stage: archived\n",
            "models:\n",
            "  m:\n",
            "    version: 1.0.0\n",
            "    tag: m@v1.0.0\n",
            f"    commit: {'a' * 40}\n",
            "    since: 2027-01-01\n",
            "    by: b\n",
            "    canary: {percent: 150}\n",
            "  - {}\n",
            "&a [1]\n",
            "*a\n",
            "!!binary aGk=\n",
            "[[[[",
            "}}",
            "? x\n",
            "- \n",
            "\t",
            "'",
            '"\\x',
            "\x00",
            "\u2028",
            "%YAML 1.1\n---\n",
            "...\n",
            "models: {m: *x}\n",
        ]
    ),
    max_size=12,
).map("".join)


@st.composite
def canaries(draw: st.DrawFn, name: str) -> Canary:
    version = draw(versions_)
    return Canary(
        version,
        f"{name}@v{version}",
        draw(commits),
        draw(md5s),
        draw(st.integers(1, 99)),
        draw(st.sampled_from(canaryfile.MODES)),
        draw(plain) or "2027-01-01",
        draw(plain) or "someone",
        draw(st.text(st.sampled_from("ab \n\t"), max_size=10)),
    )


@st.composite
def entries(draw: st.DrawFn, name: str, action: str = "promote") -> Entry:
    version = draw(versions_)
    entry = Entry(
        version,
        f"{name}@v{version}",
        draw(commits),
        draw(md5s),
        draw(plain) or "2027-01-01",
        draw(plain) or "someone",
        draw(plain),
        action,
        draw(st.sampled_from([{}, {"gto_tag": "m#prod#1"}, {"note": [1, "ü\u2028x"]}])),
    )
    if action == "promote" and draw(st.booleans()):
        entry = canaryfile.with_canary(entry, draw(canaries(name)))
    return entry


@st.composite
def holding_files(draw: st.DrawFn) -> StageFile:
    models = draw(st.lists(names, max_size=5, unique=True))
    return StageFile("production", {n: draw(entries(n)) for n in sorted(models)})


@st.composite
def archived_files(draw: st.DrawFn) -> StageFile:
    models = draw(st.lists(names, max_size=4, unique=True))
    archived = {n: tuple(draw(st.lists(entries(n, "archive"), min_size=1, max_size=3))) for n in sorted(models)}
    return StageFile(ARCHIVED, {}, archived)


@given(holding_files())
def test_a_holding_stage_file_round_trips(sf: StageFile) -> None:
    text = stagefile.dump(sf)
    assert stagefile.parse(text, "production", "stage/production") == sf
    assert stagefile.parse_json(json.dumps(stagefile.to_document(sf)).encode(), "production", "s") == sf
    for name in sf.holders:
        one = stagefile.parse_model(text.encode(), "production", "stage/production", name)
        assert one.holders == {name: sf.holders[name]}


@given(archived_files())
def test_an_archived_stage_file_round_trips(sf: StageFile) -> None:
    assert stagefile.parse(stagefile.dump(sf), ARCHIVED, "stage/archived") == sf


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(fragments, st.text(max_size=200), st.binary(max_size=200)), st.sampled_from(["production", ARCHIVED]))
def test_any_text_is_a_stage_file_or_a_stage_file_error(text: str | bytes, stage: str) -> None:
    for strict in (True, False):
        try:
            sf = stagefile.parse(text, stage, "stage/x", strict=strict)
        except StageFileError as e:
            assert e.message.startswith(("stage/x:stage.yaml", "branch 'stage/x'")) and e.hint
            continue
        assert isinstance(sf, StageFile) and (not strict or not sf.bad)
        for b in sf.bad:
            assert isinstance(b.warning().message, str) and isinstance(b.error(), BadRecord)


@given(yaml_values, st.sampled_from(["production", ARCHIVED]))
def test_any_document_is_a_stage_file_or_a_stage_file_error(models: object, stage: str) -> None:
    doc = {"llmgit": 1, "stage": stage, "models": models}
    try:
        sf = stagefile.from_document(doc, stage, "stage/x", strict=False)
    except StageFileError:
        return
    for entry in [*sf.holders.values(), *(e for es in sf.archived.values() for e in es)]:
        assert len(entry.commit) == 40 and entry.tag.endswith(f"@v{entry.version}")


@given(st.dictionaries(st.sampled_from(["version", "tag", "commit", "percent", "since", "by", "mode"]), yaml_values))
def test_any_canary_mapping_is_a_canary_or_a_canary_error(data: dict[str, object]) -> None:
    try:
        canary = canaryfile.parse(data, "m")
    except CanaryRecordError as e:
        assert "\n" not in e.message
        return
    assert 1 <= canary.percent <= 99 and canary.mode in canaryfile.MODES
    assert canaryfile.parse(canary.to_yaml(), "m") == canary


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(fragments, st.text(max_size=200), st.binary(max_size=200), yaml_values.map(str)))
def test_any_text_is_a_ledger_or_a_usage_error(text: str | bytes) -> None:
    raw = text.encode() if isinstance(text, str) else text
    try:
        led = ledgerfile.parse(raw, None, None)
    except UsageError as e:
        assert "\n" not in e.message
        return
    assert isinstance(led, Ledger)
    try:
        led.purge_intents()
    except UsageError:
        pass


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(ledgerfile.SECTIONS),
        st.dictionaries(names, st.dictionaries(versions_, yaml_values, max_size=3), max_size=3),
        max_size=5,
    )
)
def test_any_ledger_document_is_checked_record_by_record(data: dict[str, object]) -> None:
    text = yamlio.dump({"llmgit": 1, **data})
    try:
        led = ledgerfile.parse(text.encode(), None, None)
    except UsageError as e:  # a value outside the file's caps (a number that is not finite)
        assert e.message.startswith("llmgit/lifecycle:lifecycle.yaml ")
        return
    for b in led.bad:
        assert b.section in ledgerfile.SECTIONS and isinstance(b.error(), BadRecord)
    if led.bad:
        with pytest.raises(BadRecord):
            ledgerfile.parse(text.encode(), None, None, strict=True)
    else:
        assert ledgerfile.parse(text.encode(), None, None, strict=True) == led


records = st.fixed_dictionaries(
    {"by": plain, "when": plain, "rule": plain, "objects": st.integers(0, 10**6), "reason": plain}
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([ledgerfile.PINS, ledgerfile.PURGED, ledgerfile.PUBLISHED]), names, versions_, records
        ),
        max_size=6,
    )
)
def test_a_ledger_round_trips(changes: list[tuple[str, str, str, dict[str, object]]]) -> None:
    led = ledgerfile.empty()
    for section, name, version, rec in changes:
        led = led.with_record(section, name, version, {**rec, "uri": "s3://b/p"} if section == "published" else rec)
    back = ledgerfile.parse(ledgerfile.dump(led).encode(), None, None, strict=True)
    assert back.data == led.data and not back.bad


def test_a_node_bomb_is_refused_before_it_is_built() -> None:
    text = "models: [" + ",".join("0" for _ in range(stagefile.LIMITS.max_values + 1)) + "]\n"
    with pytest.raises(StageFileError, match="holds more than 400000 values"):
        stagefile.parse(text, "production", "stage/production")
