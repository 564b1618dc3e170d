"""The titles of the GDPR's articles (Regulation (EU) 2016/679, as published in
the Official Journal, L 119, 4.5.2016), for hovers over a rule's `cite`."""

from __future__ import annotations

import re

TITLES = dict(enumerate("""Subject-matter and objectives
Material scope
Territorial scope
Definitions
Principles relating to processing of personal data
Lawfulness of processing
Conditions for consent
Conditions applicable to child's consent in relation to information society services
Processing of special categories of personal data
Processing of personal data relating to criminal convictions and offences
Processing which does not require identification
Transparent information, communication and modalities for the exercise of the rights of the data subject
Information to be provided where personal data are collected from the data subject
Information to be provided where personal data have not been obtained from the data subject
Right of access by the data subject
Right to rectification
Right to erasure ('right to be forgotten')
Right to restriction of processing
Notification obligation regarding rectification or erasure of personal data or restriction of processing
Right to data portability
Right to object
Automated individual decision-making, including profiling
Restrictions
Responsibility of the controller
Data protection by design and by default
Joint controllers
Representatives of controllers or processors not established in the Union
Processor
Processing under the authority of the controller or processor
Records of processing activities
Cooperation with the supervisory authority
Security of processing
Notification of a personal data breach to the supervisory authority
Communication of a personal data breach to the data subject
Data protection impact assessment
Prior consultation
Designation of the data protection officer
Position of the data protection officer
Tasks of the data protection officer
Codes of conduct
Monitoring of approved codes of conduct
Certification
Certification bodies
General principle for transfers
Transfers on the basis of an adequacy decision
Transfers subject to appropriate safeguards
Binding corporate rules
Transfers or disclosures not authorised by Union law
Derogations for specific situations
International cooperation for the protection of personal data
Supervisory authority
Independence
General conditions for the members of the supervisory authority
Rules on the establishment of the supervisory authority
Competence
Competence of the lead supervisory authority
Tasks
Powers
Activity reports
Cooperation between the lead supervisory authority and the other supervisory authorities concerned
Mutual assistance
Joint operations of supervisory authorities
Consistency mechanism
Opinion of the Board
Dispute resolution by the Board
Urgency procedure
Exchange of information
European Data Protection Board
Independence
Tasks of the Board
Reports
Procedure
Chair
Tasks of the Chair
Secretariat
Confidentiality
Right to lodge a complaint with a supervisory authority
Right to an effective judicial remedy against a supervisory authority
Right to an effective judicial remedy against a controller or processor
Representation of data subjects
Suspension of proceedings
Right to compensation and liability
General conditions for imposing administrative fines
Penalties
Processing and freedom of expression and information
Processing and public access to official documents
Processing of the national identification number
Processing in the context of employment
Safeguards and derogations relating to processing for archiving purposes in the public interest, scientific or historical research purposes or statistical purposes
Obligations of secrecy
Existing data protection rules of churches and religious associations
Exercise of the delegation
Committee procedure
Repeal of Directive 95/46/EC
Relationship with Directive 2002/58/EC
Relationship with previously concluded Agreements
Commission reports
Review of other Union legal acts on data protection
Entry into force and application""".splitlines(), start=1))

_ARTICLE = re.compile(r"\bArt(?:icle|s?\.)\s*(\d{1,2})\b")


def cited(text: str) -> list[tuple[int, str]]:
    """The GDPR articles a citation names (`Art. 6(1)(a) GDPR`), each once, in order."""
    found: list[tuple[int, str]] = []
    for match in _ARTICLE.finditer(text):
        number = int(match.group(1))
        if number in TITLES and all(number != n for n, _ in found):
            found.append((number, TITLES[number]))
    return found
