"""Members named in three languages, and files given the member their text is about (indexer/countries.py):
a question that names a member is answered first by that member's action plan even when the plan's
loader carries no country."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.countries import COUNTRY_ALIASES, SHORT_NAMES, MemberNames, canonical_country, id_prefix_members
from indexer.settings import Settings
from indexer.store import IndexReader
from search import Filters, Searcher, candidates
from search.query import QueryAnalyser

MEMBERS = ["United States", "Chile", "Argentina", "Guatemala", "Francia", "United Kingdom"]


def test_members_are_found_by_their_names_in_three_languages_and_their_adjectives():
    names = MemberNames(MEMBERS)
    assert names.first("Según el plan de Estados Unidos") == "United States"
    assert names.first("el quinto plan de gobierno abierto de EE.UU.") == "United States"
    assert names.first("le plan d'action des États-Unis") == "United States"
    assert names.first("the Guatemalan open justice index") == "Guatemala"
    assert names.first("an Argentinian protocol on judicial data") == "Argentina"
    assert names.first("the British action plan") == "United Kingdom"
    # the index spells France in Spanish; an English question still finds it, in the canonical spelling
    assert names.first("the French Court of Audit in France") == "France"
    assert list(names.named("Chile, then the U.S., then Chile again")) == ["Chile", "United States", "Chile"]


def test_spanish_and_french_adjectives_name_their_member_in_every_gender_and_number():
    names = MemberNames(MEMBERS)
    # Apertium leaves "guatémaltèque" as it is, so a French question has only its own word to go on
    assert names.first("Quelle institution guatémaltèque n'a pas répondu ?") == "Guatemala"
    assert names.first("las instituciones guatemaltecas de justicia") == "Guatemala"
    assert names.first("les juges chiliennes") == "Chile"
    assert names.first("los planes estadounidenses") == "United States"
    assert names.first("le protocole argentin") == "Argentina"
    # a language's name is not a member's adjective, in any of the three languages
    assert names.first("un documento en francés, otro en español") is None
    assert names.first("traduit de l'espagnol et de l'anglais") is None


def test_words_that_only_look_like_members_name_none():
    names = MemberNames(MEMBERS)
    assert names.first("tell us which courts publish their judgments") is None  # the pronoun
    assert names.first("Latin American and Inter-American courts") is None  # "American" names no one member
    assert names.first("published in French and Spanish") is None  # languages, not members
    assert names.first("Chilean") == "Chile" and names.first("Chileans") is None  # whole words only
    assert MemberNames([]).first("Chile") is None  # an index without records knows no members


def test_canonical_spelling():
    assert canonical_country("Estados Unidos") == "United States"
    assert canonical_country("Reino Unido") == "United Kingdom"
    assert canonical_country("Syldavia") == "Syldavia"  # unknown names are kept as they are
    assert canonical_country(None) is None


def test_a_question_names_a_member_in_its_own_words_or_in_its_translation():
    translations = {"¿Qué cambió el protocolo argentino?": {"es": "¿Qué cambió el protocolo argentino?",
                                                          "en": "What changed the Argentinian protocol?"}}
    analyser = QueryAnalyser(("en", "es"), MEMBERS, translate=lambda text, targets=(): translations.get(text, {"en": text}))
    # the Spanish adjective names the member, as the English rendering's "Argentinian" does
    assert analyser.analyse("¿Qué cambió el protocolo argentino?").country == "Argentina"
    assert analyser.analyse("What does the Chilean plan promise?").country == "Chile"
    assert analyser.analyse("What does the plan promise?").country is None
    query = analyser.analyse("¿Qué prometió Estados Unidos?")
    assert query.country == "United States"
    # a record spelt in Spanish and a file placed in English both count as the member the question names
    assert query.named_count("Estados Unidos", None) == 1 and query.named_count("United States", None) == 1
    assert query.named_count("Chile", None) == 0


PLAN = """# National action plan for open justice

This is the national action plan of {member}. {member} drafted it with civil society, and the
government of {member} reports on it every year. The ministry of justice of {member} leads it.

# Legal aid clinics

The plan funds free legal aid clinics in rural districts. Each clinic publishes its caseload, the
waiting time for a first appointment and the share of cases settled without a hearing.
"""


#: A tracker's sub-commitment page, as a member's own site publishes it: an id and no member; its text
#: names another member most (a US commitment on cooperation with Chile).
TRACKER = """---
commitment_id: US0007
commitment_status: In Progress
---
Progress update: the exchange with Chile's courts began. Judges from Chile visited in March, and
Chile's judiciary will host the second visit; the agreement with Chile is published.
"""


def _records() -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Commitment Unique Identifier", "Country/Locality", "Region", "Year Of Submission",
                "Commitment Number", "Commitment Title", "Full Text", "Justice"])
    w.writerow(["US0001", "United States", "North America", "2022", "1", "Open court records",
                "Federal courts will publish their dockets as open data.", "1"])
    w.writerow(["CL0001", "Chile", "Americas", "2022", "1", "Open court records",
                "The judiciary will publish judgments as open data.", "1"])
    # a record whose member is spelt in Spanish, as some members' own exports spell it
    w.writerow(["RU0003", "Reino Unido", "Europe", "2022", "3", "Registro de mediadores",
                "Se publicará un registro abierto de mediadores familiares acreditados.", "1"])
    return buf.getvalue()


@pytest.fixture(scope="module")
def plans(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("plans")
    corpus = root / "corpus"
    (corpus / "commitments").mkdir(parents=True)
    (corpus / "commitments" / "export.csv").write_text(_records(), encoding="utf-8")
    (corpus / "plans").mkdir()
    (corpus / "plans" / "plan-a.md").write_text(PLAN.format(member="the United States"), encoding="utf-8")
    (corpus / "plans" / "plan-b.md").write_text(PLAN.format(member="Chile"), encoding="utf-8")
    (corpus / "plans" / "notes.md").write_text(
        "# Meeting notes\n\nThe working group compared the plans of Chile and the United States once.\n",
        encoding="utf-8")
    (corpus / "tracker").mkdir()
    (corpus / "tracker" / "us0007-2.md").write_text(TRACKER, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    report = build_index(settings, progress=False, encoder=encoder)
    assert report.failed == []
    return settings, report


def test_the_build_gives_a_file_the_member_its_text_names(plans):
    settings, report = plans
    assert report.placed == 3
    assert "files given the member their commitment ids or text name (for questions that name one): 3" \
        in report.summary()
    reader = IndexReader(settings.index_dir)
    try:
        assert reader.has_file_countries
        chunk_ids = {source: [c for c, in reader.db.execute("SELECT id FROM chunks WHERE source = ?", (source,))]
                     for source in ("plans/plan-a.md", "plans/plan-b.md", "plans/notes.md")}
        places = reader.country_and_year([c for ids in chunk_ids.values() for c in ids])
        assert {places[c][0] for c in chunk_ids["plans/plan-a.md"]} == {"United States"}
        assert {places[c][0] for c in chunk_ids["plans/plan-b.md"]} == {"Chile"}
        # named once each: too few mentions to say what the file is about
        assert {places[c][0] for c in chunk_ids["plans/notes.md"]} == {None}
        # the loader's own member is kept, spelt as the export spells it, and no filter value is invented
        assert set(reader.countries()) == {"Chile", "United States", "United Kingdom"}
    finally:
        reader.close()


def test_a_country_filter_keeps_the_files_whose_text_names_that_member(plans, encoder):
    """A filter on Chile finds Chile's action plan, whose loader gives it no country, and not the
    United States' plan; a member spelt in Spanish in one file is one filter choice, not two."""
    settings, _ = plans
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        countries = searcher.facets()["country"]
        assert countries == ["Chile", "United Kingdom", "United States"]  # no "Reino Unido" beside it
        chile = Filters(country=("Chile",)).matched_to(searcher.facets())
        sources = {h.provenance.source for h in searcher.search("legal aid clinics caseload", k=10, filters=chile)}
        assert "plans/plan-b.md" in sources
        assert sources <= {"plans/plan-b.md", "commitments/export.csv"}
        # the region filter agrees: Chile's plan is in the Americas as the export's Chilean records are
        americas = Filters(region=("Americas",)).matched_to(searcher.facets())
        found = searcher.search("legal aid clinics caseload", k=10, filters=americas)
        assert "plans/plan-b.md" in {h.provenance.source for h in found}
        assert {h.provenance.source for h in found} <= {"plans/plan-b.md", "commitments/export.csv"}
        # and a result says the member it was matched on
        assert {h.provenance.country for h in found if h.provenance.source == "plans/plan-b.md"} == {"Chile"}
        uk = Filters(country=("uk",)).matched_to(searcher.facets(), {"country": SHORT_NAMES})
        hits = searcher.search("registro de mediadores", k=5, filters=uk)
        assert hits and {h.provenance.commitment_id for h in hits} == {"RU0003"}
        assert hits[0].provenance.country == "United Kingdom"
    finally:
        searcher.close()


def test_a_file_whose_records_carry_an_id_is_given_the_member_the_ids_prefix_belongs_to(plans):
    """The export's records say "US..." ids are the United States': a tracker page with such an id and
    no member of its own is the United States', though its text names Chile four times."""
    settings, _ = plans
    assert id_prefix_members([("US0001", "United States"), ("US0002", "United States"), ("CL0001", "Chile"),
                              ("RU0003", "Reino Unido")]) == {"US": "United States", "CL": "Chile",
                                                               "RU": "United Kingdom"}
    # a prefix two members' records share says nothing
    assert id_prefix_members([("AB0001", "Chile"), ("AB0002", "Guatemala")]) == {}
    reader = IndexReader(settings.index_dir)
    try:
        chunk = reader.db.execute("SELECT id FROM chunks WHERE source = 'tracker/us0007-2.md'").fetchone()[0]
        assert reader.country_and_year([chunk])[chunk][0] == "United States"
    finally:
        reader.close()


def test_a_question_naming_a_member_finds_that_members_plan_first(plans, encoder):
    settings, _ = plans
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        # the clinics' passage names no member: only the file it belongs to does
        for question, source in (("How do the United States' legal aid clinics report their caseload?",
                                  "plans/plan-a.md"),
                                 ("How do Chile's legal aid clinics report their caseload?", "plans/plan-b.md"),
                                 ("¿Cómo informan de su carga de casos las clínicas jurídicas de EE.UU.?",
                                  "plans/plan-a.md")):
            hits = searcher.search(question, k=3)
            assert hits[0].provenance.source == source, question
            assert "Legal aid clinics" in (hits[0].provenance.section or "") or "clinics" in hits[0].text
    finally:
        searcher.close()


def test_a_members_numbered_commitment_is_found_whatever_the_spelling(plans, encoder):
    """"UK commitment 3" names the United Kingdom in its canonical spelling; the record spells it
    "Reino Unido" and is still found first by member and number."""
    settings, _ = plans
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        for question in ("What does UK commitment 3 promise?", "¿Qué promete el compromiso 3 del Reino Unido?"):
            exact = candidates.exact(searcher.reader, searcher.analyse(question))
            assert {c.provenance.commitment_id for c in searcher.reader.chunks_by_id(exact).values()} == {"RU0003"}
            assert searcher.search(question, k=3)[0].provenance.commitment_id == "RU0003", question
    finally:
        searcher.close()


def _altered_copy(index_dir: Path, copy: Path, statement: str) -> Path:
    """A copy of an index with ``statement`` run on its database, as an earlier version would have
    left it (the manifest records the database's new size)."""
    shutil.copytree(index_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    database = copy / manifest["sqlite_file"]
    with sqlite3.connect(database) as db:
        db.execute(statement)
    db.close()
    manifest["sqlite_bytes"] = database.stat().st_size
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_an_index_from_before_gets_its_members_on_the_next_build_without_re_embedding(plans, tmp_path, encoder):
    """An index written before this stage (no file_countries table) is searched as before, and its
    next build adds the table without reading or embedding anything again."""
    settings, _ = plans
    index = _altered_copy(settings.index_dir, tmp_path / "index", "DROP TABLE file_countries")
    reader = IndexReader(index)
    try:
        assert not reader.has_file_countries
        chunk = reader.db.execute("SELECT id FROM chunks WHERE source = 'plans/plan-a.md'").fetchone()[0]
        assert reader.country_and_year([chunk])[chunk][0] is None
    finally:
        reader.close()
    again = build_index(Settings(corpus_dir=settings.corpus_dir, index_dir=index), progress=False, encoder=encoder)
    assert again.chunks_embedded == 0 and again.up_to_date and again.placed == 3
    reader = IndexReader(index)
    try:
        assert reader.has_file_countries and reader.country_and_year([chunk])[chunk][0] == "United States"
    finally:
        reader.close()


def test_files_placed_by_earlier_rules_are_placed_again_by_the_next_build_without_re_embedding(plans, tmp_path,
                                                                                              encoder):
    """An index whose files were looked at before ids counted (another key in file_countries) is not
    "up to date": its next build looks at them again, and reads and embeds nothing."""
    settings, _ = plans
    index = _altered_copy(settings.index_dir, tmp_path / "index",
                          "UPDATE file_countries SET members = 'earlier', country = NULL")
    again = build_index(Settings(corpus_dir=settings.corpus_dir, index_dir=index), progress=False, encoder=encoder)
    assert again.chunks_embedded == 0 and again.up_to_date and again.placed == 3
    reader = IndexReader(index)
    try:
        chunk = reader.db.execute("SELECT id FROM chunks WHERE source = 'tracker/us0007-2.md'").fetchone()[0]
        assert reader.country_and_year([chunk])[chunk][0] == "United States"
    finally:
        reader.close()
    assert build_index(Settings(corpus_dir=settings.corpus_dir, index_dir=index), progress=False,
                       encoder=encoder).placed == 0


def test_a_later_build_reads_only_new_and_changed_files_and_every_file_when_the_members_change(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    (corpus / "commitments").mkdir(parents=True)
    (corpus / "commitments" / "export.csv").write_text(_records(), encoding="utf-8")
    (corpus / "plans").mkdir()
    (corpus / "plans" / "plan-a.md").write_text(PLAN.format(member="the United States"), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    assert build_index(settings, progress=False, encoder=encoder).placed == 1
    # a new file: only it is read (the count is of files given a member by this build)
    (corpus / "plans" / "plan-b.md").write_text(PLAN.format(member="Chile"), encoding="utf-8")
    assert build_index(settings, progress=False, encoder=encoder).placed == 1
    # a changed file is read again: plan-a now names Chile
    (corpus / "plans" / "plan-a.md").write_text(PLAN.format(member="Chile") + "\nRevised.\n", encoding="utf-8")
    assert build_index(settings, progress=False, encoder=encoder).placed == 1
    # new members in the export: every file is read again
    with (corpus / "commitments" / "export.csv").open("a", encoding="utf-8") as export:
        export.write('GT0001,Guatemala,Americas,2022,1,Open court records,Courts will publish data.,1\n')
    assert build_index(settings, progress=False, encoder=encoder).placed == 2
    reader = IndexReader(settings.index_dir)
    try:
        places = {}
        for source in ("plans/plan-a.md", "plans/plan-b.md"):
            chunk = reader.db.execute("SELECT id FROM chunks WHERE source = ?", (source,)).fetchone()[0]
            places[source] = reader.country_and_year([chunk])[chunk][0]
        assert places == {"plans/plan-a.md": "Chile", "plans/plan-b.md": "Chile"}
    finally:
        reader.close()


def test_a_country_filter_takes_a_members_name_in_spanish_or_french_and_a_name_with_a_comma(plans, encoder):
    """ "--country 'Estados Unidos,Royaume-Uni'" is the United States and the United Kingdom; a member
    whose export name holds a comma ("Madrid, Spain") is one value, not two unknown ones."""
    from search.filters import match_known

    settings, _ = plans
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        checked = searcher.check_filters(Filters.from_strings(country="Estados Unidos,Royaume-Uni", language="español"))
        assert checked.country == ("United States", "United Kingdom") and checked.language == ("es",)
    finally:
        searcher.close()
    known = ["Madrid, Spain", "Chile", "Scotland, United Kingdom"]
    assert match_known(["Madrid", " Spain", "Chile"], known) == (["Madrid, Spain", "Chile"], [])
    assert match_known(["Escocia"], known, COUNTRY_ALIASES) == (["Scotland, United Kingdom"], [])
    assert match_known(["Madrid"], known)[1][0][1][0] == "Madrid, Spain"  # alone it is still refused, with the member
