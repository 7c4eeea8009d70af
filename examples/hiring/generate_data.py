"""Generates data/applicants.csv: synthetic job applicants of two groups, Weequay and Togruta.

Weequay applicants attended university more often (65% against 30%), and whether an applicant
became a high performer depends on experience, test and interview scores and, in part, on
university. A model trained on these columns, without the group, still selects Togruta
applicants less often: the disparate impact the demo is about.

Deterministic (fixed seed, numpy only): running it again rewrites the same file.
    python3 generate_data.py
"""

import csv
import os

import numpy as np

SEED = 20240607
ROWS = 3000
UNIVERSITY_RATE = {"Weequay": 0.65, "Togruta": 0.30}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "applicants.csv")
COLUMNS = [
    "applicant_id", "group", "age", "years_experience", "university", "education_level",
    "test_score", "interview_score", "referrals", "high_performer",
]


def generate(rows=ROWS, seed=SEED):
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(rows) < 0.5, "Weequay", "Togruta")
    uni_rate = np.where(group == "Weequay", UNIVERSITY_RATE["Weequay"], UNIVERSITY_RATE["Togruta"])
    university = (rng.random(rows) < uni_rate).astype(int)
    age = np.clip(np.rint(rng.normal(35.0, 8.0, rows)), 21, 64).astype(int)
    # Time at university is time not spent working.
    experience = np.clip(rng.normal((age - 21) * 0.55 - 2.0 * university, 2.5), 0.0, age - 18.0)
    experience = np.round(experience, 1)
    # education_level: 0 none, 1 bachelor, 2 master, 3 phd (a degree needs university).
    degree = rng.choice([1, 2, 3], size=rows, p=[0.6, 0.3, 0.1])
    education_level = np.where(university == 1, degree, 0)
    test_score = np.clip(np.rint(rng.normal(60.0 + 6.0 * university, 12.0)), 0, 100).astype(int)
    interview_score = np.round(np.clip(rng.normal(6.0 + 0.3 * university, 1.4), 1.0, 10.0), 1)
    referrals = rng.poisson(0.8, rows)
    logit = (
        -3.3
        + 0.12 * experience
        + 0.06 * (test_score - 60.0)
        + 0.55 * (interview_score - 6.0)
        + 1.6 * university
        + 0.25 * education_level
        + 0.15 * referrals
    )
    high_performer = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return [
        {
            "applicant_id": "A%05d" % (i + 1),
            "group": group[i],
            "age": int(age[i]),
            "years_experience": "%.1f" % experience[i],
            "university": int(university[i]),
            "education_level": int(education_level[i]),
            "test_score": int(test_score[i]),
            "interview_score": "%.1f" % interview_score[i],
            "referrals": int(referrals[i]),
            "high_performer": int(high_performer[i]),
        }
        for i in range(rows)
    ]


def main():
    records = generate()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    positives = sum(r["high_performer"] for r in records)
    print("wrote %d applicants to data/applicants.csv (%d high performers)" % (len(records), positives))
    for name in ("Weequay", "Togruta"):
        rows = [r for r in records if r["group"] == name]
        uni = sum(r["university"] for r in rows) / len(rows)
        hp = sum(r["high_performer"] for r in rows) / len(rows)
        print("  %-8s %4d applicants, university %.0f%%, high performers %.0f%%" % (name, len(rows), 100 * uni, 100 * hp))


if __name__ == "__main__":
    main()
