"""Own templates: PHI-bearing sentences, note headers, sign-offs, ICU nursing lines, short queries.

Placeholders are ``{KIND}`` (see :meth:`engine.training.synth.persona.Persona.fill`). Literal text around
them is never PHI; confusables (Foley, Parkinson, HR 88, 2130, PT, MS) are written in on purpose.

Example:
    >>> "{DOCTOR}" in SENTENCES[0]
    True
"""

from __future__ import annotations

import random

SENTENCES: tuple[str, ...] = (
    "Seen in consultation by {DOCTOR} on {DATE}.",
    "{PATIENT_TITLED} is a {AGE_SEX} who was admitted to {HOSPITAL} on {DATE}.",
    "The patient was transferred from {OTHERHOSPITAL} on {DATE} for further management.",
    "Follow up with {DOCTOR} in 2 weeks; call {PHONE} to schedule.",
    "Please fax records to {FAX}, attention {DOCTOR}.",
    "She lives in {CITY}, {STATE} with her husband {RELATIVE}.",
    "He lives alone in {CITY} and works as a {PROFESSION}.",
    "Patient is a retired {PROFESSION}; previously employed by {ORGANIZATION}.",
    "Works at {ORGANIZATION} as a {PROFESSION}. Smokes 1 ppd.",
    "Emergency contact: {RELATIVE} (daughter), {PHONE}.",
    "Her son {RELATIVE} can be reached at {PHONE}.",
    "Originally from {COUNTRY}, moved to {CITY} in {DATE}.",
    "Recently returned from a trip to {COUNTRY}; denies sick contacts.",
    "Last colonoscopy {DATE} at {HOSPITAL}, per {DOCTOR}, was normal.",
    "Echo on {DATE} showed EF 55%. Repeat echo scheduled {DATE}.",
    "MRN: {MRN}",
    "Medical record number {MRN}.",
    "Insurance: {ORGANIZATION}, member ID {HEALTHPLAN}.",
    "Medicare number {HEALTHPLAN}; secondary insurance through {ORGANIZATION}.",
    "Pacemaker placed {DATE}, device serial number {DEVICE}.",
    "Implanted defibrillator model {DEVICE} interrogated today, functioning normally.",
    "Pathology specimen {BIOID} sent to {HOSPITAL} lab.",
    "Tissue sample ID {BIOID} was received on {DATE}.",
    "Accession # {IDNUM}.",
    "Order # {IDNUM} placed for CBC and BMP.",
    "Reference number {IDNUM}; prior authorization pending.",
    "Patient portal: {URL}.",
    "Questions may be sent to {EMAIL} or via {URL}.",
    "Patient's e-mail: {EMAIL}",
    "Address: {ADDRESS}",
    "Home address {STREET}, {CITY}, {STATE} {ZIP}.",
    "Discharged to {LOCATION-OTHER} with home services.",
    "Fell while walking at {LOCATION-OTHER} on {DATE}.",
    "Found down outside {LOCATION-OTHER}; EMS brought pt to {HOSPITAL}.",
    "Born in {OTHERCITY}, {COUNTRY}; came to the U.S. at age {AGE_NUM}.",
    "Quit smoking at age {AGE_NUM}.",
    "Mother died of MI at {AGE_NUM}; father with Parkinson disease, living in {OTHERCITY}.",
    "Dialysis {WEEKDAYS} at {HOSPITAL}.",
    "Seen by {DOCTOR} ({PROFESSION}) on {DATE}.",
    "Discussed with {DOCTOR}, on call for {HOSPITAL}, pager {PHONE}.",
    "Chart reviewed by {USERNAME} on {DATE}.",
    "Entered by: {USERNAME}",
    "DOB: {DOB}",
    "Date of birth {DOB}, age {AGE_NUM}.",
    "{PATIENT} reports that the pain began on {DATE}.",
    "{PATIENT} was last seen in clinic on {DATE} by {DOCTOR}.",
    "Spoke with {PATIENT}'s wife {RELATIVE} by phone at {PHONE}.",
    "Hospitalized at {OTHERHOSPITAL} in {DATE} for pneumonia.",
    "Prior records obtained from {OTHERHOSPITAL} in {OTHERCITY}, {STATE}.",
    "Zip code {ZIP}.",
    "Referred by {DOCTOR} of {ORGANIZATION}.",
    "Labs drawn {DATE}: Na 138, K 4.1, Cr 1.2, Hgb 11.8.",
    "Procedure performed {DATE} at {HOSPITAL} by {DOCTOR}; Foley catheter removed POD 2.",
    "PCP: {DOCTOR}",
    "Primary care physician is {DOCTOR} at {HOSPITAL}.",
    "I discussed the plan with {PATIENT} and her daughter {RELATIVE}, who agree.",
    "{PATIENT_TITLED} tolerated the procedure well.",
    "Plan reviewed with {PATIENT_TITLED}; will return on {DATE}.",
    "He was brought in by his brother {RELATIVE} from {CITY}.",
    "Moved here from {STATE} in {DATE} to be closer to family.",
    "Grew up in {COUNTRY}; emigrated at age {AGE_NUM}.",
    "Speaks mostly Spanish; family from {COUNTRY}.",
    "She is a {COUNTRY} citizen visiting her son in {CITY}.",
    "He works as a {PROFESSION} at {ORGANIZATION} and is on his feet all day.",
    "Occupation: {PROFESSION}.",
    "Former {PROFESSION}, retired in {DATE}.",
    "Employer: {ORGANIZATION}, {CITY}, {STATE}.",
    "She volunteers at {LOCATION-OTHER} on weekends.",
    "Injured while playing basketball at {LOCATION-OTHER}.",
    "Lives at {LOCATION-OTHER}; independent in ADLs.",
    "Transferred to {OTHERHOSPITAL} for rehab on {DATE}.",
    "Outside films from {OTHERHOSPITAL} reviewed.",
    "Was followed at {HOSPITAL} until {DATE}.",
    "Surgery at {HOSPITAL} ({DATE}) complicated by wound infection.",
    "CT abdomen {DATE}: no acute process. Compared with prior from {DATE}.",
    "Admitted {DATE}, discharged {DATE}.",
    "Next appointment: {DATE} at 9:45 AM with {DOCTOR}.",
    "Last dose of Coumadin was {DATE}; INR 2.4.",
    "She has not seen a doctor since {DATE}.",
    "Symptoms started the {DATE}.",
    "Flu vaccine given {DATE}. Tdap {DATE}.",
    "Call {DOCTOR} at {PHONE} or page {PHONE} with questions.",
    "Clinic phone {PHONE}; fax {FAX}.",
    "Results faxed to {FAX} on {DATE}.",
    "Contact: {PATIENT_FULL}, {ADDRESS}, tel {PHONE}",
    "Guardian: {RELATIVE}, {PHONE}, {EMAIL}",
    "Mailing address: {STREET}, {CITY} {ZIP}.",
    "Insurance ID {HEALTHPLAN}, group {IDNUM}.",
    "Medicaid # {HEALTHPLAN}.",
    "Policy number: {HEALTHPLAN}",
    "Pump serial # {DEVICE}; settings unchanged.",
    "Insulin pump {DEVICE} downloaded in clinic.",
    "Cochlear implant serial {DEVICE}.",
    "Blood sample {BIOID} banked for genetic testing.",
    "Specimen #{BIOID}: adenocarcinoma, margins negative.",
    "Lab accession {IDNUM}, collected {DATE}.",
    "Case number {IDNUM} filed with the state registry.",
    "License # {IDNUM}.",
    "MR# {MRN}   Acct# {IDNUM}",
    "Unit number: {MRN}",
    "Transcribed by {USERNAME} on {DATE}.",
    "Note written by {USERNAME}; cosigned by {DOCTOR}.",
    "Resident: {DOCTOR}   Attending: {DOCTOR}",
    "Consultants: {DOCTOR} (cardiology), {DOCTOR} (renal).",
    "Seen with {DOCTOR_BARE}, PA-C.",
    "Per {DOCTOR}'s note from {DATE}, EF 35%.",
    "Online records at {URL}.",
    "Registered on {URL} for telehealth.",
    "Patient sent a message via {EMAIL} on {DATE}.",
    "{AGE_SEX} with history of DM2, HTN, HLD presenting with CP.",
    "This is a {AGE_SEX} with COPD on 2L home O2.",
    "{PATIENT_FULL} is a {AGE_SEX} here for follow-up.",
    "HPI: {AGE_SEX} s/p fall at home on {DATE}.",
    "Twin brother died at age {AGE_NUM} of colon cancer.",
    "Patient is {AGE_NUM} years old.",
    "Hysterectomy in the {DECADE} for fibroids.",
    "Dr. {EPONYM_DOCTOR} placed a Foley catheter; Murphy sign negative.",
    "Dr. {EPONYM_DOCTOR} (neurology) confirmed Parkinson disease; Babinski negative.",
    "Bell palsy evaluated by Dr. {EPONYM_DOCTOR} on {DATE}.",
    "Holter monitor ordered by {EPONYM_DOCTOR}, MD.",
    "Has been on dialysis since the {DECADE}.",
    "Smoked from the {DECADE} until {DATE}.",
)

CONFUSABLES: tuple[str, ...] = (
    "BP 120/80, HR 88, RR 16, T 98.6, SpO2 97% on RA.",
    "Vitals: 132/84, P 72, afebrile.",
    "Foley catheter in place, draining clear yellow urine.",
    "Negative Babinski bilaterally. Negative Homans sign.",
    "Apgar scores 8 and 9.",
    "History of Parkinson disease and Alzheimer dementia.",
    "Hashimoto thyroiditis on levothyroxine 75 mcg daily.",
    "Metoprolol 25 mg PO BID, lisinopril 10 mg daily, ASA 81 mg qd.",
    "Heparin 5000 units SC q8h. Insulin sliding scale AC and HS.",
    "Tylenol 650 mg PO q6h PRN pain.",
    "Given Lasix 40 mg IV at 2130 with good response.",
    "Medications given at 14:30 and 22:00.",
    "PT to evaluate; OT consult placed.",
    "MS: alert and oriented x3.",
    "Sent to the ER for further evaluation.",
    "Cr 1.4 (baseline 1.1), WBC 12.3, Plt 245.",
    "Glucose 142 mg/dL, A1c 7.2%.",
    "Strength 5/5 in all extremities. Murmur 2/6 SEM.",
    "Pain 7/10, improved to 3/10 after morphine 2 mg IV.",
    "Weight 82.4 kg, BMI 27.1.",
    "Graves disease s/p RAI. Bell palsy resolved.",
    "Swan-Ganz catheter removed. Whipple procedure in the past.",
    "Gram stain with GPCs in clusters. Coumadin held for INR 3.4.",
    "Tx plan reviewed with pt and family at bedside.",
    "Rehab consult; PT/OT daily. NPO after midnight.",
    "Cardiac cath showed 70% LAD lesion. Plavix 75 mg daily.",
    "Nexium 40 mg daily. Zofran 4 mg q6h prn.",
    "Chest x-ray negative. EKG with NSR at 78, QTc 440.",
    "Eye exam: no DR. MS Contin 15 mg PO q12h.",
    "h/o MS, on Copaxone. ER visit last year for UTI.",
    "PT/INR 14.2/1.1. PTT 32.",
    "Pt is DNR/DNI. Code status discussed.",
    "Admitted to the CCU; transferred to the floor on HD 3.",
    "Dressing changed at 0800 and 1600. I/O 1200/900.",
    "Levels: vanc trough 15.2 at 0530.",
    "Dose: 1 tab PO BID x 7 days, then daily.",
    "Hgb A1c 8.1% (goal < 7). LDL 112.",
    "Ambulated 150 ft with walker and PT.",
)

HEADERS: tuple[str, ...] = (
    "Patient: {PATIENT_FULL}\nMRN: {MRN}\nDOB: {DOB}\nDate of service: {DATE_FULL}\nProvider: {DOCTOR}\n",
    "{HOSPITAL}\n{ADDRESS}\nPhone {PHONE}  Fax {FAX}\n\n"
    "PATIENT NAME: {PATIENT_FULL}\nMEDICAL RECORD #: {MRN}\n",
    "Record date: {DATE_FULL}\n",
    "NAME: {PATIENT_FULL}    UNIT NO: {MRN}\nDATE: {DATE_FULL}    ATTENDING: {DOCTOR}\n",
    "{PATIENT_FULL} ({AGE_NUM} {SEX1}) MRN {MRN}\nVisit date: {DATE_FULL}\n",
    "CLINIC NOTE - {HOSPITAL}\nDate: {DATE_FULL}\n",
    "Record date: {DATE_FULL}\n\n{HOSPITAL}\n{CITY}, {STATE}\n",
    "{PATIENT_FULL}\n{MRN}\n{DATE_FULL}\n",
    "PATIENT: {PATIENT_FULL}   DOB: {DOB}   AGE: {AGE_NUM}\nREFERRING: {DOCTOR}\n",
    "Date: {DATE_FULL}  Time: 14:20\nLocation: {HOSPITAL}\n",
    "{PATIENT_LASTFIRST}   {MRN}   VISIT DATE: {DATE_FULL}\n\n",
    "{HOSPITAL} EMERGENCY DEPT VISIT\n{PATIENT_LASTFIRST}  {MRN}  VISIT DATE: {DATE_FULL}\n",
    "Re: {PATIENT_FULL}\nDOB: {DOB}\n\nDear Dr. {DOCTOR_LAST},\n\n"
    "Thank you for referring {PATIENT_TITLED} for evaluation.\n",
)

DISCHARGE_HEADER = (
    "DISCHARGE SUMMARY\n\n{HOSPITAL}\nPatient: {PATIENT_FULL}   MRN: {MRN}   Acct #: {IDNUM}\n"
    "Admission Date: {DATE_FULL}\nDischarge Date: {DATE_FULL}\nAttending: {DOCTOR}\nService: Medicine\n"
)

SIGNOFFS: tuple[str, ...] = (
    "\n\n{DOCTOR}\n",
    "\n\nElectronically signed by {DOCTOR} on {DATE_FULL}\n",
    "\n\nDictated by: {DOCTOR_INITIALS}\nDD: {DATE_FULL}  DT: {DATE_FULL}\n",
    "\n\ncc: {DOCTOR}, {HOSPITAL}\n",
    "\n\n______________________\n{DOCTOR}\n{PROFESSION}\n{HOSPITAL}\n",
    "\n\nSincerely,\n\n{DOCTOR}\nTel {PHONE}  Fax {FAX}\n",
    "\n\nAttending attestation: I saw and examined the patient with the resident. {DOCTOR}\n",
    "\n\nSigned: {DOCTOR_BARE} {DATE_FULL} 14:32\n",
)

#: Telegraphic ICU/nursing lines; the whole note is upper-cased later.
ICU_LINES: tuple[str, ...] = (
    "PT SEEN BY {DOCTOR} {DATE}; TO {OTHERHOSPITAL} FOR CATH",
    "NEURO: A&OX3, MAE, PERRL. FOLLOWS COMMANDS",
    "CV: NSR 80S-90S, NO ECTOPY. BP 110-130/60S. +PP",
    "RESP: LS CLEAR, ON 2L NC, SATS 95-98%",
    "GI: ABD SOFT, +BS, TOL DIET. LAST BM {DATE}",
    "GU: FOLEY DRAINING CLEAR YELLOW URINE, 40-60CC/HR",
    "ID: TMAX 100.2, ON VANCO/ZOSYN; CX PENDING",
    "SOCIAL: WIFE {RELATIVE} IN TO VISIT, UPDATED BY RN. CALL {PHONE} WITH CHANGES",
    "DAUGHTER {RELATIVE} CALLED X2, UPDATED",
    "PLAN: CONT CURRENT TX; ? TRANSFER TO {OTHERHOSPITAL} {DATE}",
    "MD {DOCTOR} AWARE OF K 3.2, REPLETED W/ 40 MEQ KCL",
    "PT {AGE} ADMITTED FROM {LOCATION-OTHER} W/ SOB",
    "HD {WEEKDAYS} AT {OTHERHOSPITAL}",
    "SKIN: INTACT. TURNED Q2H",
    "PAIN: 4/10, MEDICATED W/ MORPHINE 2MG IV AT 0300",
    "LINES: R IJ TLC, L RADIAL A-LINE",
    "RN {USERNAME} 0700-1900",
    "SEEN BY {DOCTOR} ON ROUNDS; PLAN TO EXTUBATE {DATE}",
    "LIVES IN {CITY} W/ SPOUSE, RETIRED {PROFESSION}",
    "ADMITTED {DATE} FROM {HOSPITAL} ED",
    "MRN {MRN}",
)

#: Short standalone queries and messages (patient portal, phone notes).
QUERIES: tuple[str, ...] = (
    "Please send the results of {PATIENT_FULL} to {EMAIL}.",
    "Pt {PATIENT_FULL} called {DATE} re: refill of metformin. Call back {PHONE}.",
    "Can you fax the op note for MRN {MRN} to {FAX}?",
    "Appointment for {PATIENT} moved to {DATE} at 10:30 with {DOCTOR}.",
    "Reminder: {PATIENT_FULL}, DOB {DOB}, due for mammogram.",
    "Lab called with critical K 6.1 on {PATIENT_FULL} ({MRN}).",
    "Message from {RELATIVE}: mother {PATIENT_FULL} fell at home in {CITY}.",
    "Pharmacy at {ADDRESS} requests clarification of lisinopril dose.",
    "{DOCTOR} will cover for {DOCTOR} on {DATE}.",
    "Prior auth for {PATIENT_FULL}, plan ID {HEALTHPLAN}, submitted {DATE}.",
    "Forms completed for {ORGANIZATION} (employer) for {PATIENT_FULL}.",
    "Device check: serial {DEVICE}, next remote check {DATE}.",
    "Please update address to {ADDRESS}. Thanks, {PATIENT_FULL}",
    "Who is the on-call cardiologist at {HOSPITAL} tonight?",
    "Is {DOCTOR} in clinic on {DATE}?",
    "What time does the lab at {HOSPITAL} open?",
    "Telephone encounter {DATE}: {PATIENT} reports improved cough. Continue plan.",
)

#: Short queries without any PHI (the no-PHI style also draws from base notes).
NO_PHI_QUERIES: tuple[str, ...] = (
    "Can I take ibuprofen with lisinopril?",
    "Pt asking about Foley catheter care at home.",
    "What is the normal range for TSH?",
    "Refill request: atorvastatin 40 mg daily x90 days.",
    "BP 142/90 at home this morning, HR 76. Should I take an extra dose?",
    "Is the flu shot available at the clinic?",
    "PT eval recommended; pt agrees.",
)


#: Header fields: label variants and the placeholder that fills them (composed by :func:`random_header`).
HEADER_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Patient", "Name", "PATIENT NAME", "Pt", "Patient Name", "PATIENT"), "{PATIENT_FULL}"),
    (("Patient", "Name", "PT NAME"), "{PATIENT_LASTFIRST}"),
    (("MRN", "MR#", "Med Rec #", "Medical Record Number", "Unit No", "Hospital #", "MR No."), "{MRN}"),
    (("DOB", "Date of Birth", "D.O.B.", "Birth date", "BD"), "{DOB}"),
    (("Age",), "{AGE_NUM}"),
    (("Date", "Visit Date", "DOS", "Date of Service", "Admission Date", "Report date"), "{DATE_FULL}"),
    (("Provider", "Attending", "PCP", "Referring Physician", "Author", "Surgeon"), "{DOCTOR}"),
    (("Facility", "Location", "Clinic", "Hospital", "Site"), "{HOSPITAL}"),
    (("Phone", "Tel", "Home phone", "Cell", "Contact #"), "{PHONE}"),
    (("Fax", "Fax #", "FAX"), "{FAX}"),
    (("Insurance ID", "Member ID", "Policy #", "Subscriber #", "Medicaid ID"), "{HEALTHPLAN}"),
    (("Acct #", "Account", "Encounter #", "CSN", "FIN", "Visit ID", "Order #"), "{IDNUM}"),
    (("Address", "Home address", "Addr"), "{ADDRESS}"),
    (("Email", "E-mail"), "{EMAIL}"),
    (("Occupation", "Job"), "{PROFESSION}"),
    (("Employer",), "{ORGANIZATION}"),
    (("Emergency contact", "Next of kin", "HCP"), "{RELATIVE} {PHONE}"),
    (("Entered by", "User", "Transcriptionist"), "{USERNAME}"),
    (("Sex", "Gender"), "{SEX1}"),
    (("Room", "Bed"), "4B"),
)


def random_header(rng: random.Random) -> str:
    """A registration header from 2-7 random fields, e.g. ``"MRN: {MRN}   DOB: {DOB}\\n"``."""
    first = [HEADER_FIELDS[rng.choice((0, 0, 1))]]
    rest = rng.sample(HEADER_FIELDS[2:], rng.randint(1, 6))
    colon = rng.choice((": ", ":", " - ", ":  ", " "))
    sep = rng.choice(("\n", "\n", "   ", " | ", "    ", "; "))
    parts = [f"{rng.choice(labels)}{colon}{ph}" for labels, ph in first + rest]
    if rng.random() < 0.3:
        parts = [p.upper() if "{" not in p.split(colon)[0] else p for p in parts]
    return sep.join(parts) + "\n\n"
