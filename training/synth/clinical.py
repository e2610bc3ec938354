"""Terse outpatient/inpatient progress notes composed from clinical fragments (i2b2-like style).

The base notes (ACI-Bench, MTS-Dialog) are fluent prose. Real charts are terse: problem lists,
medication lists with doses, vitals, labs, "A/P" lines, times and abbreviations. This module writes
such notes as templates with ``{KIND}`` placeholders; numbers here (doses, vitals, times) are the
confusables the model must leave alone.

Example:
    >>> tpl = progress_note(random.Random(0))
    >>> "{" in tpl
    True
"""

from __future__ import annotations

import random

PROBLEMS = (
    "DM2",
    "HTN",
    "HLD",
    "CAD s/p CABG",
    "CHF (EF 30%)",
    "COPD",
    "asthma",
    "CKD stage 3",
    "afib on Coumadin",
    "hypothyroidism",
    "GERD",
    "OSA on CPAP",
    "depression",
    "anxiety",
    "BPH",
    "osteoarthritis",
    "gout",
    "obesity",
    "anemia",
    "PVD",
    "h/o CVA",
    "h/o DVT",
    "migraine",
    "RA",
    "Parkinson disease",
    "ESRD on HD",
    "cirrhosis",
    "HIV on HAART",
    "breast ca s/p lumpectomy",
    "prostate ca",
    "Crohn disease",
    "seizure d/o",
)
MEDS = (
    "metformin 1000 mg PO BID",
    "lisinopril 20 mg daily",
    "atorvastatin 40 mg qhs",
    "ASA 81 mg daily",
    "metoprolol succinate 50 mg daily",
    "furosemide 40 mg PO qAM",
    "warfarin 5 mg qd",
    "insulin glargine 22 units qhs",
    "levothyroxine 88 mcg daily",
    "omeprazole 20 mg daily",
    "albuterol MDI 2 puffs q4h prn",
    "sertraline 100 mg daily",
    "amlodipine 5 mg daily",
    "gabapentin 300 mg TID",
    "tamsulosin 0.4 mg qhs",
    "allopurinol 300 mg daily",
    "Plavix 75 mg daily",
    "Eliquis 5 mg BID",
    "Lasix 20 mg daily",
    "Coumadin 2.5 mg qPM",
    "prednisone 10 mg daily",
    "KCl 20 mEq daily",
    "Tylenol 1 g q8h prn",
    "oxycodone 5 mg q6h prn",
    "Senna 2 tabs qhs",
    "Colace 100 mg BID",
    "Flomax 0.4 mg daily",
    "Zofran 4 mg q8h prn nausea",
    "heparin 5000 units SC TID",
    "vancomycin 1 g IV q12h",
)
ALLERGIES = ("NKDA", "PCN (rash)", "sulfa", "codeine (nausea)", "iodinated contrast", "latex", "NKA")
EXAM = (
    "Gen: NAD, A&O x3",
    "HEENT: PERRL, EOMI, MMM",
    "Neck: supple, no JVD",
    "CV: RRR, no m/r/g",
    "CV: irreg irreg, 2/6 SEM at LUSB",
    "Lungs: CTAB",
    "Lungs: bibasilar crackles",
    "Abd: soft, NT/ND, +BS",
    "Ext: 1+ pitting edema bilat",
    "Ext: no c/c/e",
    "Neuro: CN II-XII intact, strength 5/5 x4",
    "Skin: warm, dry, no rash",
    "Neuro: negative Babinski, negative Romberg",
)
PLAN = (
    "Continue current meds.",
    "Increase lisinopril to 40 mg daily.",
    "Check BMP, CBC, A1c, lipids.",
    "Refer to cardiology.",
    "RTC 3 months.",
    "Start PT 2x/week.",
    "Hold metformin prior to contrast.",
    "Repeat echo in 6 months.",
    "Flu shot today.",
    "Colonoscopy due.",
    "Counseled re: smoking cessation.",
    "Titrate insulin by 2 units q3d to FBG < 130.",
    "Foley to be removed in AM.",
    "Wean O2 as tolerated.",
    "Diuresis with Lasix 40 mg IV BID, goal -1 L/day.",
    "INR goal 2-3; next check in 1 week.",
)


def vitals(rng: random.Random) -> str:
    """A vitals line: ``"T 98.4  BP 132/78  HR 84  RR 16  SpO2 97% RA  Wt 82.1 kg"``."""
    return (
        f"T {rng.uniform(97.0, 101.5):.1f}  BP {rng.randint(95, 180)}/{rng.randint(50, 100)}  "
        f"HR {rng.randint(52, 125)}  RR {rng.randint(12, 28)}  SpO2 {rng.randint(88, 100)}% "
        f"{rng.choice(('RA', '2L NC', '4L', 'on RA'))}  Wt {rng.uniform(45, 140):.1f} kg"
    )


def labs(rng: random.Random) -> str:
    """A lab line: ``"Na 138 K 4.2 Cl 101 CO2 24 BUN 18 Cr 1.1 Glu 142"``."""
    return (
        f"Na {rng.randint(128, 146)} K {rng.uniform(3.0, 5.8):.1f} Cl {rng.randint(95, 110)} "
        f"CO2 {rng.randint(18, 32)} BUN {rng.randint(6, 60)} Cr {rng.uniform(0.5, 4.5):.1f} "
        f"Glu {rng.randint(70, 320)}  WBC {rng.uniform(3, 18):.1f} Hgb {rng.uniform(7, 16):.1f} "
        f"Plt {rng.randint(90, 450)}  INR {rng.uniform(0.9, 3.5):.1f}"
    )


def progress_note(rng: random.Random) -> str:
    """A template for a terse progress note; PHI appears as placeholders."""
    hdr = rng.choice(
        (
            "Record date: {DATE_FULL}\n\n",
            "{HOSPITAL} - Internal Medicine\nDate: {DATE_FULL}\n\n",
            "PROGRESS NOTE {DATE_FULL} {TIME}\n\n",
            "Interval History {DATE}:\n",
            "",
            "{PATIENT_FULL}  MRN {MRN}  {DATE_FULL}\n\n",
        )
    ).replace("{TIME}", f"{rng.randint(0, 23):02d}{rng.choice(('00', '15', '30', '45'))}")
    probs = rng.sample(PROBLEMS, rng.randint(2, 6))
    meds = rng.sample(MEDS, rng.randint(2, 8))
    cc = rng.choice(("f/u", "CP", "SOB", "DM f/u", "BP check", "knee pain", "cough x 2 wks", "dizziness"))
    s_line = rng.choice(
        (
            "{AGE_SEX} w/ " + ", ".join(probs) + f" here for {cc}.",
            "{PATIENT_TITLED} returns for " + cc + ". Since last visit on {DATE} feels better.",
            "{AGE_SEX} with PMH " + ", ".join(probs) + " p/w " + cc + ", seen by {DOCTOR} in ED {DATE}.",
            "Pt seen and examined. " + cc + " improving. Overnight: afebrile, no events.",
        )
    )
    parts = [hdr, "S: " + s_line, "\n\nPMH: " + "; ".join(probs)]
    sep = rng.choice(("\n", "; ", ", "))
    parts.append("\n\nMeds:\n" + sep.join(meds) if sep == "\n" else "\nMeds: " + sep.join(meds))
    parts.append("\nAll: " + rng.choice(ALLERGIES))
    if rng.random() < 0.5:
        parts.append(
            "\nSH: "
            + rng.choice(
                (
                    "lives with wife in {CITY}, retired {PROFESSION}, quit tob {DATE}.",
                    "works as {PROFESSION} at {ORGANIZATION}; 1 ppd x 20 yrs; EtOH socially.",
                    "from {COUNTRY}, lives with daughter {RELATIVE}. No tob/EtOH/IVDU.",
                    "lives alone; son {RELATIVE} ({PHONE}) is HCP.",
                    "married, 2 children, denies tobacco.",
                )
            )
        )
    parts.append("\n\nO: " + vitals(rng) + "\n" + "\n".join(rng.sample(EXAM, rng.randint(2, 6))))
    if rng.random() < 0.7:
        parts.append("\nLabs ({DATE}): " + labs(rng))
    parts.append("\n\nA/P: " + rng.choice(("{AGE_SEX} with ", "")) + probs[0] + ". ")
    parts.append(" ".join(rng.sample(PLAN, rng.randint(2, 5))))
    if rng.random() < 0.4:
        parts.append(
            " "
            + rng.choice(
                (
                    "F/u with {DOCTOR} on {DATE}.",
                    "D/w {DOCTOR} (attending).",
                    "Will fax note to {DOCTOR} at {FAX}.",
                    "Pt to call {PHONE} if worse.",
                    "Cards consult ({DOCTOR}) appreciated.",
                )
            )
        )
    parts.append(
        rng.choice(
            (
                "\n\n{DOCTOR}, MD",
                "\n\n_____\n{DOCTOR_BARE}, MD\npgr {PHONE}",
                "\n\nSigned {DOCTOR} {DATE_FULL}",
                "\n\n{DOCTOR_INITIALS}",
                "",
                "\n\nDictated by: {DOCTOR}  Transcribed by: {USERNAME}",
            )
        )
    )
    return "".join(parts)


ICU_FRAGMENTS = (
    (
        "NEURO",
        (
            "A&OX3, MAE, PERRL",
            "SEDATED ON PROPOFOL 20MCG, RASS -2",
            "LETHARGIC BUT AROUSABLE",
            "NO FOCAL DEFICITS",
        ),
    ),
    (
        "CV",
        (
            "NSR 80S-90S, NO ECTOPY",
            "AFIB 110S, DILTIAZEM GTT @ 10MG/HR",
            "BP 100-120/50S",
            "+PP, TRACE EDEMA",
        ),
    ),
    (
        "RESP",
        ("LS CLEAR, 2L NC SATS 95-98%", "VENT AC 500X14 PEEP 5 FIO2 40%", "RHONCHI BIL, SX Q2H THICK TAN"),
    ),
    ("GI", ("ABD SOFT, +BS, TF @ 50CC/HR", "NPO, OGT TO LCWS", "LAST BM {DATE}", "TOL CLEARS")),
    (
        "GU",
        (
            "FOLEY DRAINING CLEAR YELLOW URINE 40-60CC/HR",
            "UO 30CC/HR, LASIX 40 IV GIVEN @ 1400",
            "VOIDING QS",
        ),
    ),
    ("ID", ("TMAX 101.2, BC X2 SENT", "ON VANC/ZOSYN", "AFEBRILE")),
    ("SKIN", ("INTACT, TURNED Q2H", "STAGE II SACRUM, DSG CHANGED", "R IJ SITE CDI")),
    (
        "SOCIAL",
        (
            "WIFE {RELATIVE} IN TO VISIT, UPDATED",
            "DAUGHTER {RELATIVE} CALLED X2 ({PHONE})",
            "FAMILY MTG W/ {DOCTOR} {DATE}",
        ),
    ),
    ("MD", ("DR {EPONYM_DOCTOR} AWARE", "SEEN BY DR {EPONYM_DOCTOR}; FOLEY OUT", "DR {DOCTOR_LAST} AWARE")),
    (
        "PLAN",
        (
            "CONT CURRENT TX",
            "? TRANSFER TO {OTHERHOSPITAL} {DATE}",
            "EXTUBATE IN AM PER {DOCTOR}",
            "TO CATH LAB {DATE}",
        ),
    ),
)


def icu_note(rng: random.Random) -> str:
    """Telegraphic ICU nursing note (upper-cased later): system headers, semicolons, abbreviations."""
    lines = []
    if rng.random() < 0.6:
        lines.append(
            rng.choice(
                (
                    "NPN 0700-1900",
                    "NURSING PROGRESS NOTE {DATE}",
                    "MICU NSG NOTE 7P-7A",
                    "PT SEEN BY {DOCTOR} {DATE}; TO {OTHERHOSPITAL} FOR CATH",
                    "{AGE} ADMITTED FROM {LOCATION-OTHER} W/ SOB",
                    "CCU NSG {DATE} 1900-0700",
                )
            )
        )
    for sys_name, opts in rng.sample(ICU_FRAGMENTS, rng.randint(3, len(ICU_FRAGMENTS))):
        k = rng.randint(1, 2)
        lines.append(
            f"{sys_name}: " + rng.choice(("; ", ", ", ". ")).join(rng.sample(opts, min(k, len(opts))))
        )
    sep = rng.choice(("\n", "; ", ". ", "\n"))
    return sep.join(lines)
