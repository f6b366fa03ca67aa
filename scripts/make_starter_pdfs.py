#!/usr/bin/env python3
"""Generate the starter corpus PDF guidance notes into ``corpus/reports/``.

The notes are team-written teaching material about people-centred justice reform in
the Open Government Partnership (OGP); they are not official OGP publications.

Each note has one topic per page, a heading at the top of every page and a footer
that prints the page's label. Two notes carry printed page labels that differ from
the physical page numbers (a roman-numbered cover, or a chapter that starts at page
21); those labels are also written into the PDF's /PageLabels so that
``pypdf.PdfReader(path).page_labels`` returns them.

The output is deterministic: fixed creation dates, fixed metadata and a file ID
derived from the content, so re-running the script gives byte-identical files.

Usage::

    python scripts/make_starter_pdfs.py            # writes corpus/reports/*.pdf
    python scripts/make_starter_pdfs.py --out DIR  # writes somewhere else

Needs fpdf2 and pypdf; only the PDF core fonts are used, so no font is downloaded
and all text must be Latin-1.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "corpus" / "reports"
FIXED_DATE = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
PDF_DATE = "D:20240301090000+00'00'"
AUTHOR = "OGP justice search starter corpus (team-written teaching material)"


@dataclass(frozen=True)
class Note:
    filename: str
    title: str
    subject: str
    keywords: str
    pages: list[tuple[str, str]]  # (heading, body with blank-line separated paragraphs)
    # Printed page labels, one per page; None means "1, 2, 3..." (the physical numbers).
    labels: list[str] | None = None
    # (first page index, pypdf style, start number) ranges for /PageLabels; None = no labels.
    label_ranges: list[tuple[int, str, int]] | None = None


ROMAN = "/r"
DECIMAL = "/D"


# ---------------------------------------------------------------------------
# Access to justice guidance note: cover page "i", then 1..5
# ---------------------------------------------------------------------------

ACCESS = Note(
    filename="access-to-justice-guidance-note.pdf",
    title="People-Centred Access to Justice: A Guidance Note for OGP Action Plans",
    subject="Legal needs surveys, one-stop legal help, paralegals, simpler procedures and outcome measurement",
    keywords="access to justice; people-centred justice; legal needs survey; legal help centre; paralegals; OGP",
    labels=["i", "1", "2", "3", "4", "5"],
    label_ranges=[(0, ROMAN, 1), (1, DECIMAL, 1)],
    pages=[
        (
            "Why start from people's problems",
            """Most justice reforms have been designed from the inside out. A ministry counts the cases that courts receive, the number of judges and the length of trials, and then tries to make those institutions faster. A people-centred approach turns the question around. It begins with the everyday problems that people actually experience, such as an unpaid wage, an eviction notice, a dispute over a boundary, a violent partner or a benefit that was refused, and asks what help they needed and whether the problem was fairly resolved.

The distinction matters because courts see only a small fraction of these problems. In most countries that have surveyed their populations, fewer than one in ten justiciable problems ever reaches a court or tribunal. The rest are handled informally, abandoned, or left to grow into larger problems of health, debt and lost income. A reform that improves only the court system can therefore leave the majority of the justice gap untouched.

This note is written for government reformers and civil society organisations preparing commitments for an Open Government Partnership (OGP) action plan. OGP commitments are a useful vehicle because they are co-created with civil society, they carry public milestones, and they are assessed by the Independent Reporting Mechanism. Those features suit justice reforms, which depend on trust between the state and the community organisations that often deliver first-line help.

The pages that follow take five building blocks in turn. The first is evidence: a legal needs survey that shows which problems are common, who experiences them and where people turn. The second is an accessible front door, in the form of one-stop legal help centres. The third is people: paralegals and other non-lawyers who can resolve many problems early. The fourth is process: simpler procedures that a person can use without a lawyer. The fifth is measurement: indicators that track whether problems are resolved, not merely whether files are opened and closed.

A commitment does not need to tackle all five at once. A realistic first action plan might fund a national survey and pilot two help centres, leaving procedural simplification to a later cycle once the survey has shown where the pressure points are.""",
        ),
        (
            "Designing a legal needs survey",
            """A legal needs survey asks a representative sample of adults whether, over a fixed reference period, they have experienced any of a list of everyday problems with a legal dimension, and then follows up on one or two of those problems in detail. The result is a picture of demand for justice that administrative data from courts can never provide.

Sample and reference period. A national survey should interview at least 3,000 households so that results can be broken down by region, sex, age group and income band. A reference period of two years is long enough to capture less frequent problems such as divorce or land disputes while keeping recall reasonably accurate. Where possible, the survey should be run as a module of an existing household survey conducted by the national statistics office, which lowers the cost and gives the results official status.

Problem categories. The questionnaire should cover at least employment, housing and tenancy, family and relationships, money and debt, consumer purchases, land and property, access to public services and benefits, injury, and encounters with the police. Each category is described in plain words, without legal terms, so that respondents recognise their own situation.

Follow-up questions. For the most serious problem reported, the survey asks what the person did (nothing, talked to family, contacted an adviser, went to a formal institution), whether they obtained information or advice, how long the problem lasted, what it cost them, whether it is now resolved, and whether they consider the process and the result fair. These questions make it possible to report SDG indicator 16.3.3, the proportion of the population who experienced a dispute in the past two years and who accessed a formal or informal dispute resolution mechanism.

Repetition and publication. A single survey gives a baseline; its value grows when the same questions are repeated every three to four years. The anonymised microdata and the questionnaire should be published so that researchers and civil society can carry out their own analysis, which is itself a natural OGP milestone.""",
        ),
        (
            "One-stop legal help centres",
            """People rarely arrive with a neatly defined legal problem. A tenant facing eviction may also be behind on loan repayments, waiting for a disability benefit and worried about a child's school place. When each of these issues belongs to a different office, the person is sent from door to door and many give up. A one-stop legal help centre brings several services under one roof so that connected problems can be dealt with together.

A typical centre combines four functions. Reception and triage staff listen to the person's account, identify the problems involved and decide how urgent each one is. Information and self-help material, including template letters and forms, is available for problems that people can manage alone. Advisers, who may be paralegals or lawyers, give advice and negotiate on the person's behalf. Finally, the centre makes warm referrals: instead of handing over an address, staff book an appointment with the receiving organisation and pass on the case notes with the person's consent, so nobody has to tell their story twice.

Location and opening hours are decisive. Centres work best inside buildings that people already visit, such as municipal service halls, libraries or health clinics, and they should open at least one evening a week for people who cannot leave work. Mobile outreach days in villages and settlements extend the reach of a centre to people who live far from a town.

A commitment to establish help centres should specify how many will open, in which districts, and who will run them. Partnerships in which the ministry of justice provides premises and core funding while accredited civil society organisations provide the staff have proved durable, because they combine public stability with community trust.

The centres should record, for every visit, the problem types, the help given and the outcome at closure. A useful headline measure is the share of problems resolved at or soon after the first visit, which shows whether the centre is preventing escalation rather than simply passing people on.""",
        ),
        (
            "Paralegals as first responders",
            """Lawyers are scarce and expensive, and in many rural districts there is no practising lawyer at all. Paralegals, meaning trained non-lawyers who give legal information and basic assistance, can act as the first responders of a justice system. They are often recruited from the communities they serve, speak local languages, and understand the customary and informal institutions to which people turn first.

Within a people-centred system, the paralegal's job is to resolve what can be resolved early and to route the rest. Common tasks include explaining rights and options, helping a person obtain identity papers or a birth certificate, writing a letter to a landlord or employer, accompanying someone to a police station or a government office, and facilitating a negotiated settlement between neighbours. When a matter needs a lawyer or a court, the paralegal prepares a short case summary and passes it to a partner legal aid provider.

For this referral chain to work, three arrangements must be in place. First, the paralegal needs a clear point of contact in the legal aid system who will accept referrals and report back on what happened. Second, paralegals should be able to consult a supervising lawyer by telephone or messaging within a working day, so that difficult questions do not stall. Third, the case records used by paralegals and by legal aid lawyers should share the same problem categories, so that data can be combined.

Governments preparing OGP commitments sometimes worry that paralegals will be seen as competitors by the bar association. Involving the bar early, defining a scope of practice that excludes court representation, and showing that paralegal work increases rather than reduces demand for lawyers in complex cases have helped to ease that concern.

The companion note on legal aid discusses the recognition, training and supervision of community paralegals in more detail. This page concentrates on their place in the front line of a national access to justice strategy.""",
        ),
        (
            "Simplifying procedures for people without lawyers",
            """Even a well-informed person can be defeated by a procedure designed for professionals. Long forms, unexplained deadlines, fees payable in advance and hearings scheduled during working hours all deter people from pursuing valid claims. Simplification asks which steps a person must take to resolve a common problem and removes or redesigns every step that is not strictly necessary.

Small claims and simplified tracks. Disputes below a set value, for example the equivalent of three months of the average wage, can be handled through a simplified track with a single short form, a fixed low fee, no requirement for legal representation and a decision within a target time such as ninety days. Judges in these tracks take an active role in clarifying the facts instead of relying on the parties' lawyers.

Plain-language forms and notices. Court notices should say in the first sentence what the recipient must do and by when. Forms can be tested with real users before they are introduced; a half-day session in which ten people try to complete a draft form usually reveals the questions that confuse them.

Fee waivers. People on low incomes should be able to ask for a court fee waiver on the same form used to start the claim, with a decision taken before any deadline runs. Requiring a separate application to a different office defeats the purpose.

Online filing and guided interviews. Digital services can lead a person through a series of questions and assemble the completed claim automatically. They must always be matched by an assisted channel, such as a help desk at the court or a partner organisation, for people without internet access or digital skills.

Court navigators. Some courts now employ navigators at the entrance who explain where to go, what will happen at the hearing and what papers to bring. Navigators do not give legal advice, but they reduce missed hearings and adjournments, which saves time for the court as well as for the public.""",
        ),
        (
            "Measuring outcomes, not just activity",
            """Justice institutions have traditionally reported outputs: the number of cases filed, hearings held, advice sessions given or leaflets distributed. These figures say something about workload but nothing about whether people's problems were solved. A people-centred monitoring framework adds outcome measures that follow the person rather than the file.

Core outcome questions. For each problem handled by a help centre, paralegal or legal aid provider, the record should show whether the problem was resolved, partly resolved, unresolved or abandoned at closure; how many days it took from first contact to closure; and what the person paid in fees, travel and lost working time. These three items can be collected with little extra effort if they are built into the case form from the start.

Follow-up contact. Because many problems are settled or collapse after the file closes, providers can contact a random sample of clients three months and twelve months after closure, asking whether the agreement held, whether the problem came back, and whether the person would seek the same help again. A sample of around one in ten clients is usually enough to produce reliable figures for each provider.

Perceived fairness. People judge justice processes not only by results but by whether they were listened to, treated with respect and given understandable reasons. A short set of standard questions on procedural fairness allows comparison across providers and over time.

Linking to population data. Outcome data from services should use the same problem categories as the national legal needs survey. This allows reformers to compare who experiences problems with who receives help, and to identify groups, such as older people in rural areas or young men in informal work, who rarely reach any service.

Publishing results. An OGP commitment can require the ministry to publish an annual access to justice dashboard that combines survey findings with service outcome data, broken down by region and by sex, and to discuss the results with civil society before the next budget is prepared.""",
        ),
    ],
)


# ---------------------------------------------------------------------------
# Open justice guidance note: plain physical page numbers
# ---------------------------------------------------------------------------

OPEN = Note(
    filename="open-justice-guidance-note.pdf",
    title="Open Justice: A Guidance Note on Transparent Courts",
    subject="Publishing judgments, open hearings, anonymisation, judicial transparency and civil society engagement",
    keywords="open justice; judgments; court hearings; anonymisation; judicial transparency; OGP",
    pages=[
        (
            "Publishing court judgments",
            """Judgments are the most important public record that a court produces. They show how the law is applied, allow lawyers and citizens to anticipate the outcome of disputes, and expose inconsistent or poorly reasoned decisions to scrutiny. Yet in many countries only a small selection of decisions, usually from the highest courts, is published, and often months or years after it was delivered.

A commitment on judgment publication should set out four things: which decisions, how quickly, in what form and where. A realistic path begins with all final decisions of the supreme and appellate courts, published within thirty days of delivery, and extends step by step to first-instance courts, starting with civil and administrative cases. Criminal and family decisions can follow once the anonymisation process described later in this note is reliable.

Format matters as much as volume. Scanned images of signed paper judgments cannot be searched or analysed. Decisions should be published as structured text, ideally in a format that marks up the court, the date, the judges, the case number, the type of proceeding, the legal provisions cited and the outcome. Assigning each decision a stable identifier, such as a European Case Law Identifier where it applies, lets other documents link to it reliably.

All decisions should be available from a single national portal rather than scattered across the websites of individual courts, with a search function that works by keyword, date, court, judge and legal provision. The portal should also offer bulk download and an application programming interface so that universities, journalists and legal technology developers can build their own tools.

Finally, the legal status of the published texts should be clear. Judgments should be released under an open licence or declared free of copyright, so that reuse is not deterred by uncertainty. A short public policy explaining which decisions are excluded and why helps to build confidence that the selection is not being used to hide embarrassing rulings.""",
        ),
        (
            "Open court hearings and livestreaming",
            """The principle that hearings are held in public is written into most constitutions and into international human rights law, but a public hearing means little if nobody can find out when and where it is taking place. Practical openness starts with information. Courts should publish their hearing lists, showing the case number, the type of case, the courtroom and the time, by the afternoon of the previous working day, both online and on a notice board at the entrance.

Physical access is the next step. Security procedures should be proportionate, public seating should be available in every courtroom, and staff should be instructed that members of the public do not need to explain why they wish to attend. Courts can set up a simple accreditation scheme for journalists and court-watching organisations that gives them reserved seats and access to the documents that are read out in open court.

Recording and broadcasting extend the audience beyond the courtroom. A number of supreme and constitutional courts now livestream their hearings and keep the recordings online, which has helped the public understand their role. For trial courts, where witnesses and victims give evidence, a more cautious approach is appropriate: broadcasting the delivery of the judgment and the legal arguments, but not the testimony of witnesses.

Openness has recognised limits. Hearings involving children, family disputes, sexual offences and certain national security matters are commonly held in private, in whole or in part. The grounds for closing a hearing should be set out in law, the decision to close should be taken by the judge and recorded with reasons, and the number of closed hearings should be reported each year so that the exception does not quietly become the rule.

A commitment in this area might include publishing hearing lists for all courts within a year, equipping a defined number of courtrooms for recording, and issuing a public protocol on when broadcasting is permitted.""",
        ),
        (
            "Anonymising decisions before publication",
            """Publishing judgments creates a tension between transparency and the privacy of the people named in them. Parties, witnesses, children and victims have not chosen to become public figures, and a decision that reveals their health, sexual life or criminal record can cause lasting harm. Anonymisation, or more accurately pseudonymisation, resolves much of this tension by replacing identifying details before release.

A published anonymisation policy should answer three questions. Who is protected: normally all natural persons who are parties or witnesses, with stronger protection for children and victims of sexual or domestic violence. Who is not protected: judges, prosecutors, lawyers acting in their professional role, public authorities and, in most systems, companies. And what is replaced: names, addresses, identity numbers, vehicle registrations, account numbers, dates of birth and any combination of details, such as a small village together with an unusual occupation, that would allow a reader to recognise the person.

Names are usually replaced by initials or by neutral letters. Letters assigned at random are safer than initials, which can be decoded in small communities. The replacement should be consistent within a decision so that the text still reads clearly.

Manual anonymisation is slow and a frequent cause of publication backlogs. Many courts now use software that proposes redactions automatically, followed by a check by a trained clerk. The combination works well, but only if the software's error rate is measured. A sound practice is to have a second person review a random sample of about five per cent of published decisions each quarter and to record how many identifying details were missed.

Some information should never be published, even in anonymised form, for example decisions in adoption proceedings. Equally, over-anonymisation is a real risk: removing the names of public bodies or the dates of events can make a judgment useless for research. The policy should be reviewed with researchers, journalists and data protection experts at least every two years.""",
        ),
        (
            "Judicial transparency and integrity",
            """Open justice is not only about cases. Citizens also need to see how judges are chosen, how they are evaluated, how complaints against them are handled and whether they have conflicts of interest. Transparency in these areas protects judicial independence by making political interference easier to detect, and it builds public trust in the judiciary as an institution.

Selection and appointment. Vacancies for judicial posts should be advertised publicly, with the criteria and the composition of the selection panel announced in advance. The list of candidates, their curricula vitae, the scores they received and the reasons for the final choice should be published. Several countries now hold public interviews of candidates for their highest courts, which allows civil society to submit information and follow the process.

Asset and interest declarations. Judges should file declarations of their assets, income and outside interests when they take office and at regular intervals. Publishing a summary of each declaration, with sensitive details such as home addresses removed, allows journalists and the public to spot unexplained wealth. A verification body needs the powers and staff to check a sample of declarations each year.

Performance evaluation and discipline. Where judges are periodically evaluated, the criteria and the overall results should be public, even if individual scores are not. Disciplinary proceedings should be transparent: the number of complaints received, their outcome, and the full text of decisions imposing a sanction should be published, so that the public can judge whether judicial self-governance holds its members to account.

Judicial councils and court administration. The bodies that govern the judiciary should publish their agendas in advance, the minutes of their meetings, their budgets and their decisions on the allocation of judges and resources between courts. Random and automated allocation of cases to judges, with the algorithm and its audit trail open to inspection, helps to prevent the steering of sensitive cases to particular judges.""",
        ),
        (
            "Working with court users and civil society",
            """Openness works best when it responds to what people outside the courts actually want to know. Court users, lawyers, journalists, researchers and community organisations each need different information, and none of them is well served by a transparency programme designed entirely within the judiciary.

Court user councils. A court user council brings together representatives of court staff, the local bar, legal aid providers, victim support services, and community groups to discuss practical problems such as waiting times, signage and the accessibility of buildings. Councils that meet quarterly and publish short summaries of their discussions create a regular channel for feedback without requiring large resources.

User satisfaction surveys. A short exit survey offered to people leaving the court building, or sent by text message after a hearing, can measure whether users understood what happened, felt treated with respect and received information in time. Repeating the survey annually with the same questions makes trends visible.

Court monitoring. Civil society court-watching programmes send trained volunteers to observe hearings and record whether they start on time, whether interpretation is provided and how vulnerable witnesses are treated. Courts that give monitors a formal status and respond to their reports in writing turn potential criticism into a source of improvement.

Co-creating OGP commitments. The judiciary is often absent from national OGP processes because it is independent of the executive that normally coordinates the action plan. Many countries have addressed this by inviting the supreme court or judicial council to propose its own commitments, or by creating a separate open justice working group that includes judges, court administrators and civil society. Clear ownership by the judiciary protects its independence while still allowing the commitment to benefit from the OGP cycle of public milestones and independent review.

Open justice forums, held once a year, can bring these strands together and allow participants to review progress against the commitments made.""",
        ),
    ],
)


# ---------------------------------------------------------------------------
# Legal aid guidance note: plain physical page numbers
# ---------------------------------------------------------------------------

LEGAL_AID = Note(
    filename="legal-aid-guidance-note.pdf",
    title="Free Legal Aid: A Guidance Note on Eligibility, Funding and Quality",
    subject="Eligibility rules, primary justice services, funding models, quality standards and community paralegals",
    keywords="legal aid; eligibility; primary legal aid; funding; quality standards; community paralegals",
    pages=[
        (
            "Who should be eligible for free legal aid",
            """Eligibility rules decide who receives state-funded legal help and who is left to cope alone. Rules that are too narrow exclude people who plainly cannot afford a lawyer; rules that are too complicated deter people from applying at all. A good eligibility framework combines a simple means test, a merits test for court representation, and categories of people who qualify automatically.

The means test. Rather than a fixed monetary threshold that loses value with inflation, the income limit can be set as a share of the national median household income, for example sixty per cent, and adjusted for household size. Assets such as the family home and essential tools of work should be disregarded. Applicants whose income lies just above the limit can be offered aid with a contribution that rises gradually with income, which avoids a sharp cliff edge.

The merits test. For representation in court, the provider checks whether the case has a reasonable prospect of success and whether the expected benefit justifies the cost. The merits test should not apply to criminal defence where liberty is at stake, nor to basic advice, which is always worth giving.

Automatic eligibility. Certain groups should qualify without a means test because their situation makes the test unfair or impractical. These commonly include children, survivors of domestic and sexual violence seeking protection orders, victims of trafficking, asylum seekers, people whose legal capacity is in question, and recipients of social assistance, whose income has already been assessed by another authority.

Speed and appeals. An application should be decided within eight working days, and within forty-eight hours where a hearing or deadline is imminent. A refusal must be given in writing with reasons and information about how to appeal to an independent body. Publishing the number of applications, approvals and refusals each year, by region and by type of case, allows the public to see whether the rules are working as intended.""",
        ),
        (
            "Primary and secondary legal aid",
            """Many legal aid laws distinguish between two levels of service. Primary legal aid covers general legal information, initial advice and help with drafting simple documents such as letters, complaints and applications to public bodies. Secondary legal aid covers representation in court and other formal proceedings, together with the preparation of the pleadings those proceedings require.

The distinction is useful because the two levels have different costs and can be delivered by different providers. Primary legal aid is relatively inexpensive and can be provided by municipal advice offices, accredited non-governmental organisations, university legal clinics and trained paralegals. Secondary legal aid usually requires a qualified lawyer and is more tightly controlled through eligibility and merits tests.

Primary justice, a broader term, refers to the services that help people resolve problems close to where they live, often without any formal proceedings. It includes mediation by community leaders, the work of ombudspersons, and the advice given by paralegals in markets and villages. Investing in primary justice is one of the most cost-effective ways of closing the justice gap, because most problems can be resolved through information, a letter or a negotiated agreement before they harden into litigation.

In practice, many legal aid systems spend almost all of their budget on secondary legal aid, especially criminal defence, leaving primary services to be funded by donors. This creates a system that is strongest at the most expensive end and weakest at the point where early help could prevent cases from arising. A reform commitment can address this by setting a minimum share of the legal aid budget, such as fifteen per cent, for primary legal aid delivered through accredited providers.

The law should also allow primary providers to pass a client directly to secondary legal aid without a fresh application when representation becomes necessary. A single client record that follows the person avoids repeating the means test and shortens the time between advice and representation.""",
        ),
        (
            "Funding legal aid sustainably",
            """Legal aid budgets are often among the first to be cut when public finances are tight, because the people who depend on them have little political voice. Making the case for stable funding, and choosing the right way to pay providers, are therefore central to any reform.

Making the case. Studies in several countries have estimated that early legal help saves public money elsewhere, for instance by preventing homelessness, reducing time spent in pre-trial detention and avoiding repeated applications for social support. A ministry that commissions its own cost-benefit analysis, using local data, is better placed to defend its budget than one that relies on foreign estimates.

Paying providers. Three main payment methods are in use. Hourly fees reward effort but are costly to administer and can encourage unnecessary work. Fixed fees per case are predictable and simple but may tempt providers to spend too little time on complex matters; a fee with an uplift for exceptional cases reduces this risk. Contracts or grants, under which an organisation receives an annual sum to handle a defined volume of work, give stability to non-governmental providers and let them retain experienced staff.

Multi-year commitments. Annual grants force civil society providers to spend much of their time on applications and leave them unable to plan. Agreements lasting three years, with annual reporting and a mid-term review, balance stability with accountability.

Transparent allocation. The legal aid authority should publish the criteria for distributing funds between regions and providers, the amounts awarded to each provider, and the volume and outcome of the work funded. Opening this information allows civil society to check that funds reach areas with the greatest need, as shown by the legal needs survey.

Additional sources. Some systems supplement the state budget with a share of court fees, fines or interest on client accounts held by lawyers. These sources can help, but they fluctuate and should not replace a core allocation in the state budget.""",
        ),
        (
            "Quality standards for legal aid providers",
            """Free legal aid is only valuable if it is competent. People who receive poor advice may lose a case they should have won or accept a settlement that leaves them worse off, and they are seldom in a position to recognise poor quality themselves. A legal aid system therefore needs explicit quality standards and ways of checking them.

Accreditation. Lawyers and organisations that wish to provide legal aid should apply to be entered in a public register. Entry can require proof of qualification, relevant experience in the areas of law concerned, professional indemnity insurance and, for organisations, a named supervising lawyer. Providers that fail to meet the standards can be suspended from the register.

Training. A requirement of twelve hours of continuing training each year, including at least some hours on working with vulnerable clients such as children, people with disabilities and survivors of violence, keeps knowledge current. Training in the substantive areas that dominate legal aid work, such as family, housing and criminal law, should be free of charge to registered providers.

Peer review and file audits. The most reliable method of assessing quality is review of case files by experienced practitioners, who score the file against a standard checklist covering the advice given, the steps taken and the outcome. Reviewing a sample of files from each provider every two years identifies weak performers and allows targeted support.

Client feedback and complaints. Every client should receive information on how to complain, and complaints should be handled by a body independent of the provider. Short feedback questionnaires, handed out at the end of a case, reveal problems with communication and timeliness that file reviews may miss.

Conflicts of interest. Providers must decline cases in which they act for the opposing party or have a personal interest, and the register should record these refusals. Publishing annual summaries of review scores, complaints and sanctions shows the public that the state takes the quality of free legal aid seriously.""",
        ),
        (
            "Recognising and supporting community paralegals",
            """Community paralegals are trained members of the community who help people understand and use the law. Unlike paralegals who work in law firms, they work directly with the public, often in places where no lawyer practises, and they combine legal knowledge with tools such as mediation, organising and advocacy. Their work has been shown to resolve many problems at low cost, but in many countries they operate without legal recognition or stable funding.

Legal recognition. Including community paralegals in the legal aid law, as providers of primary legal aid, gives them a defined status and allows public funding to reach them. The law should define their scope of practice, typically legal information, advice, help with documents, mediation and accompaniment, while reserving representation in court to lawyers.

Training. A common model is a foundation course of about four weeks covering basic law, interviewing, mediation, record keeping and ethics, followed by a period of supervised practice before the paralegal works alone. Refresher training once a year keeps knowledge current and allows paralegals to share experience.

Supervision. Each paralegal should have a named supervising lawyer or senior paralegal who reviews a sample of case records every month and is available for consultation on difficult matters. Supervision protects clients and gives paralegals the confidence to take on more complex problems.

Registration and accountability. A public register of accredited paralegals, held by the legal aid authority or a professional body, lets people check that a paralegal is genuine and provides a route for complaints. Paralegals should follow a written code of conduct on confidentiality, conflicts of interest and fees; in most schemes their services are free to clients.

Funding. Paralegal organisations should be able to compete for legal aid contracts alongside lawyers for primary legal aid work. Where paralegals are employed by local authorities, their posts should be funded from the regular budget rather than temporary projects, so that communities can rely on them over the long term.""",
        ),
    ],
)


# ---------------------------------------------------------------------------
# Court data guidance note: part two of a handbook, printed pages 21..25
# ---------------------------------------------------------------------------

COURT_DATA = Note(
    filename="court-data-guidance-note.pdf",
    title="Court Data for Open Justice: A Guidance Note (Handbook Part Two)",
    subject="Court statistics, case management data, open data standards, case-level data and privacy",
    keywords="court statistics; case management system; open data; case-level data; privacy; clearance rate",
    labels=["21", "22", "23", "24", "25"],
    label_ranges=[(0, DECIMAL, 21)],
    pages=[
        (
            "Court statistics that tell a story",
            """Courts have collected statistics for a long time, but many of the tables they publish are hard to interpret. A list of cases filed and decided in each court does not tell a reader whether the court is keeping up with demand or whether litigants are waiting too long. A small number of well-defined indicators, reported consistently, is far more useful than dozens of raw counts.

Clearance rate. The clearance rate compares the number of cases resolved in a period with the number of new cases received in the same period, expressed as a percentage. A rate of 100 means the court is keeping pace with incoming work; a rate persistently below 100 means a backlog is building up.

Disposition time. The estimated disposition time divides the number of cases pending at the end of the year by the number resolved during the year and multiplies the result by 365. It gives an estimate, in days, of how long it would take to clear the pending stock at the current pace. It is an estimate rather than a measured duration, and it should be presented as such.

Age of pending cases. The share of pending cases that are older than two years, or older than a locally agreed standard, shows whether old cases are being neglected while new, simpler ones are processed quickly. Courts sometimes achieve good clearance rates by favouring easy cases, and this indicator reveals that pattern.

Breakdown and comparison. Indicators should be reported by court, by type of case and by year, so that readers can compare similar courts and track trends. Publishing the number of judges and staff alongside the workload figures allows a fair comparison of productivity.

Explaining the numbers. Each statistical release should include a short commentary that explains major changes, such as a new law that shifted a category of cases to a different court. Without context, users may draw misleading conclusions from a sudden change in the figures.""",
        ),
        (
            "Case management systems as a data source",
            """Most reliable court statistics now come from electronic case management systems rather than from paper registers compiled by hand. A case management system records each case and the events in its life, such as filing, service of documents, hearings, adjournments, judgments and appeals, as they happen. Statistics are then calculated from these events instead of being counted separately.

Event-based design. The system should store each event as a separate dated record linked to a unique case identifier, rather than overwriting a single status field. This allows any indicator to be recalculated for any period and makes it possible to measure the real duration of each stage of proceedings.

A data dictionary. Every field and code in the system needs a written definition: what counts as a new case, when a case is considered resolved, how a case transferred between courts is recorded, and which outcome codes exist. Without shared definitions, two courts using the same software can produce figures that cannot be compared.

Mandatory fields and validation. Fields that feed key indicators, such as the case type, the filing date and the outcome, should be mandatory, and the software should reject impossible values, such as a judgment dated before the filing date. Drop-down lists are preferable to free text wherever a fixed set of answers exists.

Avoiding double counting. A case that is transferred, joined with another case or reopened can easily be counted twice. Rules for these situations should be written into the data dictionary and applied automatically by the system.

Routine quality checks. A central statistics unit should run monthly checks that flag courts with missing outcome codes, unusually long pending cases or sudden changes in volume, and should return the list to the court for correction. Over time, publishing a simple data quality score for each court encourages staff to keep records complete and accurate.""",
        ),
        (
            "Open data standards for court information",
            """Publishing court statistics as tables inside an annual report is a start, but it limits what others can do with them. Open data means releasing the underlying figures in a form that anyone can download, analyse and combine with other data without asking permission or paying a fee.

Machine-readable formats. Data should be published as CSV files for tabular data and JSON for structured records, with one row per court, case type and period rather than complex tables with merged cells. Where possible, the same data should be available through an application programming interface that returns the latest figures on request.

Metadata and documentation. Each dataset needs a description of what it covers, the period, the date of last update, the person or unit responsible, and a link to the data dictionary that defines every column. Users should be able to understand a file without contacting the court.

Stable identifiers and codes. Courts, case types and outcomes should be identified by stable codes that do not change from year to year. When a court is merged or a case category is redefined, the change should be recorded in a published change log so that time series can be reconstructed.

Licensing. An open licence, such as a public domain dedication or an attribution-only licence, should be attached to every dataset. Without a licence, many organisations will not reuse the data for fear of legal risk.

Regular release calendar. Publishing data on fixed dates, for instance quarterly within six weeks of the end of each quarter, builds trust and allows journalists and researchers to plan. Revisions to earlier figures should be marked clearly rather than silently overwritten, and earlier versions should remain available for download.

A catalogue entry on the national open data portal makes court datasets discoverable alongside other government data and allows them to be linked, for example to population data for calculating litigation rates per inhabitant.""",
        ),
        (
            "Publishing case-level data",
            """Aggregated statistics answer questions that their designers anticipated. Case-level data, in which each record describes one case, allows researchers, journalists and the courts themselves to ask new questions: which stages cause delay, whether outcomes differ between courts for similar cases, or how often hearings are adjourned and at whose request.

What a case-level record contains. A typical published record includes a unique but non-identifying case key, the court, the case type, the dates of filing, first hearing and final decision, the number of hearings and adjournments, whether parties were represented by a lawyer, whether legal aid was granted, and the type of outcome. It does not contain names, addresses or the text of pleadings.

Starting small. Courts that are new to case-level publication often begin with one category of cases, such as commercial debt claims or administrative appeals, where privacy risks are low and interest from users is high. Lessons from that pilot can then shape the release of more sensitive categories.

Linking to judgments. Where judgments are published, the case-level record can carry the identifier of the published decision, allowing users to move from statistics to the reasoning behind an outcome. This link should be added only after the judgment has passed through anonymisation.

Research access for sensitive categories. Some categories, such as criminal cases involving young people, are too sensitive for open release even without names. These records can be made available to accredited researchers under a data sharing agreement, in a secure environment where outputs are checked before they leave.

Uses in practice. Case-level data has been used to identify courts where a few very old cases dominate the backlog, to show that unrepresented parties lose more often in certain case types, and to test whether a procedural reform actually shortened proceedings. Each of these findings would have been invisible in annual aggregate tables.""",
        ),
        (
            "Protecting privacy in court data",
            """Court data can reveal intimate details of people's lives, even when names are removed. A record showing a divorce case in a small town, filed on a particular date, with a child custody dispute, may be enough for neighbours to identify the family. Privacy protection must therefore be designed into every release, not added at the end.

Data protection impact assessment. Before a new dataset is published, the data protection officer of the judiciary should carry out an impact assessment that lists the fields to be released, the realistic ways in which a person could be re-identified, and the measures taken to prevent this. The assessment should be summarised publicly alongside the dataset.

Small-cell suppression. In aggregated tables, cells that count fewer than five cases should be suppressed or merged with neighbouring categories, because very small numbers can point to identifiable individuals. Totals should be adjusted so that suppressed values cannot be recovered by subtraction.

Generalising details in case-level data. Exact dates can be replaced by the month or quarter, courts in very small districts can be grouped into regions, and rare case types can be combined. A useful test is that every combination of the published attributes that could identify someone should match at least a minimum number of cases, often set at ten.

Tiered access. Not every dataset needs to be either fully open or fully closed. A tiered model offers open aggregated statistics to everyone, lightly generalised case-level data to registered users who accept terms of use, and detailed records only to accredited researchers in a secure setting.

Regular review. Re-identification techniques improve over time, and new datasets published by other agencies can make old releases riskier. The judiciary should review its published datasets at least once a year, withdraw or further generalise any that have become risky, and keep a public record of these changes so that users understand why a dataset has been altered.""",
        ),
    ],
)

NOTES = [ACCESS, OPEN, LEGAL_AID, COURT_DATA]


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


class _NotePDF(FPDF):
    def __init__(self, note: Note) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.note = note
        self.labels = note.labels or [str(i + 1) for i in range(len(note.pages))]
        self.short_title = note.title.split(":")[0]

    def footer(self) -> None:  # called by fpdf2 at the end of every page
        self.set_y(-15)
        self.set_font("Helvetica", "I", 9)
        self.set_text_color(90, 90, 90)
        label = self.labels[self.page_no() - 1]
        self.cell(0, 8, f"{self.short_title}  -  page {label}", align="C")


def _check_latin1(note: Note) -> None:
    for text in [note.title, note.subject, note.keywords] + [h + b for h, b in note.pages]:
        text.encode("latin-1")  # raises on characters the core fonts cannot show


def render(note: Note) -> bytes:
    """Build the note with fpdf2 and return the PDF bytes (before page labels)."""
    _check_latin1(note)
    pdf = _NotePDF(note)
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(note.title)
    pdf.set_author(AUTHOR)
    pdf.set_subject(note.subject)
    pdf.set_keywords(note.keywords)
    pdf.set_creator("scripts/make_starter_pdfs.py")
    pdf.set_producer("fpdf2")
    pdf.set_lang("en")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(auto=True, margin=22)
    for number, (heading, body) in enumerate(note.pages, start=1):
        pdf.add_page()
        if number == 1:
            pdf.set_font("Helvetica", "B", 10)
            pdf.set_text_color(90, 90, 90)
            pdf.multi_cell(0, 5, note.title, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        pdf.set_font("Helvetica", "B", 15)
        pdf.set_text_color(20, 40, 90)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", "", 10.5)
        pdf.set_text_color(0, 0, 0)
        for paragraph in body.split("\n\n"):
            pdf.multi_cell(0, 5.2, " ".join(paragraph.split()), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.2)
        if pdf.page_no() != number:
            raise SystemExit(f"{note.filename}: the text of page {number} ({heading!r}) overflows its page")
    return bytes(pdf.output())


def add_page_labels(note: Note, data: bytes) -> bytes:
    """Write /PageLabels with pypdf, keeping metadata and a content-derived file ID."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    n = len(writer.pages)
    ranges = note.label_ranges or []
    for i, (first, style, start) in enumerate(ranges):
        last = ranges[i + 1][0] - 1 if i + 1 < len(ranges) else n - 1
        writer.set_page_label(first, last, style=style, start=start)
    writer.add_metadata({"/Producer": "fpdf2; page labels by pypdf", "/CreationDate": PDF_DATE, "/ModDate": PDF_DATE})
    digest = hashlib.md5(data).digest()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for note in NOTES:
        data = render(note)
        if note.label_ranges:
            data = add_page_labels(note, data)
            labels = PdfReader(io.BytesIO(data)).page_labels
            if list(labels) != list(note.labels or []):
                raise SystemExit(f"{note.filename}: page labels {labels} != {note.labels}")
        path = out_dir / note.filename
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: corpus/reports)")
    args = parser.parse_args(argv)
    for path in build(args.out):
        size = path.stat().st_size
        pages = len(PdfReader(path).pages)
        try:
            shown = path.relative_to(ROOT)
        except ValueError:
            shown = path
        print(f"wrote {shown} ({pages} pages, {size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
