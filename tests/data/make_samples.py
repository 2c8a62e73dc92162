"""Regenerate sample_audit.json and sample_checks.json from the demo seed (offline, fixed time).

    python -m tests.data.make_samples
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from iamcheck.audit.document import audit_document
from iamcheck.audit.run import Expectations, Selection, run_audit
from iamcheck.check.document import check_document
from iamcheck.check.run import CheckResult
from iamcheck.decide import decide
from iamcheck.emulator import demo_seed
from iamcheck.inputs import user_ref
from iamcheck.requirement import load_requirement
from tests.support.seed_model import account_from_seed

HERE = Path(__file__).parent
AT = datetime(2026, 11, 27, 12, tzinfo=UTC)
CHECKS = [
    ("IBMid-6650001001", ("pay-api-01", "pay-api-02", "pay-batch-ca")),
    ("IBMid-6650001002", ("pay-api-01", "pay-api-02", "pay-batch-ca")),
    ("IBMid-6650001003", ("pay-api-01", "pay-api-02", "pay-batch-ca")),
    ("IBMid-6650001004", ("pay-api-01", "pay-api-02", "pay-batch-ca")),
    ("IBMid-6650001010", ("pay-staging-01",)),
    ("IBMid-6650001017", ("pay-api-01",)),
    ("IBMid-6650001018", ("pay-api-01",)),
]


def main() -> None:
    account = account_from_seed(demo_seed(), read_at=AT)
    requirement = load_requirement()
    expect = Expectations(
        (user_ref("juniper.abara@example.com"),), ("on-call",), True, "expect/oncall.txt"
    )
    report = run_audit(account, requirement, Selection(), AT, expect)
    (HERE / "sample_audit.json").write_text(json.dumps(audit_document(report), indent=1) + "\n")
    users = {u.iam_id: u for u in account.users}
    by_name = {i.name: i for i in account.instances}
    docs = []
    for iam_id, names in CHECKS:
        user = users[iam_id]
        for name in names:
            inst = by_name[name]
            decision = decide(account, requirement, iam_id, inst, AT)
            result = CheckResult(decision, account.account_id, user, inst, account.roles)
            docs.append(check_document(result))
    (HERE / "sample_checks.json").write_text(json.dumps(docs, indent=1) + "\n")


if __name__ == "__main__":
    main()
