"""Change review, pure: what a change (a Terraform plan, v2 policy bodies, or two reads of the
account) does to who can open the console.

- changes.py: the proposed changes, as values on iamcheck's model, and what cannot be modelled
- apply.py: `apply(AccountData, changes)`, the account as it would be after them
- terraform.py: `terraform show -json` plans turned into changes
- policy_file.py: v2 policy bodies (`--with-policy FILE`) turned into changes
- diff.py: two audit results or two audit JSON documents compared, per instance and person
- review.py: `review_changes(account, requirement, changes, at)`, the diff a change makes
"""

from iamcheck.change.apply import apply
from iamcheck.change.diff import AuditDiff, Cause, Path, Transition, diff_documents, diff_reports
from iamcheck.change.policy_file import changes_from_policy_bodies
from iamcheck.change.review import review_changes
from iamcheck.change.terraform import PlanError, changes_from_plan

__all__ = [
    "AuditDiff",
    "Cause",
    "Path",
    "PlanError",
    "Transition",
    "apply",
    "changes_from_plan",
    "changes_from_policy_bodies",
    "diff_documents",
    "diff_reports",
    "review_changes",
]
