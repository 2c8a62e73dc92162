"""Access reviews, pure: who can grant, unused console grants, the per-subject export."""
