"""IBM's Python SDK integration tests (IBM/platform-services-python-sdk, test/integration) that
scripts/ibm_integration_tests.py runs, unmodified, against the emulator; and the tests it
leaves out because they need endpoints the emulator does not serve (EMULATED_ENDPOINTS.md
lists them with these reasons)."""

from __future__ import annotations

TEST_FILES = (
    "test_iam_policy_management_v1.py",
    "test_iam_access_groups_v2.py",
    "test_global_search_v2.py",
    "test_resource_manager_v2.py",
    "test_user_management_v1.py",
)

_POLICY_TEMPLATES = "policy, action-control and role templates and their assignments"
_ACCESS_SETTINGS = "IAM Access Management account settings (/v1/accounts/{id}/settings)"
_GROUP_TEMPLATES = "access group templates and assignments (enterprise accounts)"

# file -> test -> why the emulator does not serve it
OUT_OF_SCOPE: dict[str, dict[str, str]] = {
    "test_iam_policy_management_v1.py": {
        **{f"TestIamPolicyManagementV1::{name}": _POLICY_TEMPLATES for name in (
            "test_15_create_policy_template", "test_16_get_policy_template",
            "test_17_replace_policy_template", "test_18_list_policy_templates",
            "test_19_create_policy_template_version", "test_20_get_policy_template_version",
            "test_21_commit_policy_template", "test_22_delete_policy_template_version",
            "test_23_list_policy_template_versions", "test_24_create_policy_s2s_template",
            "test_25_create_policy_s2s_template_version", "test_26_create_policy_assignment",
            "test_27_list_policy_assignments", "test_28_get_policy_assignment",
            "test_29_update_policy_assignment", "test_30_get_v2_assignment_policy",
            "test_31_delete_policy_assignment", "test_32_delete_policy_template",
            *(f"test_{n}_{rest}" for n, rest in (
                ("35", "create_action_control_basic_template"),
                ("36", "get_action_control_basic_template"),
                ("37", "replace_action_control_basic_template"),
                ("38", "replace_action_control_template"),
                ("39", "list_action_control_templates"),
                ("40", "delete_action_control_base_template_version"),
                ("41", "create_action_template"), ("41", "create_action_template_version"),
                ("42", "replace_action_control_template"),
                ("43", "get_action_control_template_version"),
                ("44", "commit_action_control_template"),
                ("45", "list_action_control_template_versions"),
                ("46", "create_action_control_assignment"),
                ("47", "list_action_control_assignments"),
                ("48", "update_action_control_assignment"),
                ("49", "get_action_control_assignment"),
                ("50", "delete_action_control_assignment"),
                ("51", "delete_action_control_template"), ("52", "create_role_template"),
                ("53", "create_role_policy_template"), ("54", "get_role_template"),
                ("55", "replace_role_template"), ("56", "list_role_templates"),
                ("57", "list_role_templates_with_pager"), ("58", "create_role_template_version"),
                ("59", "list_role_template_versions"),
                ("60", "list_role_template_versions_with_pager"),
                ("61", "get_role_template_version"), ("62", "commit_role_template"),
                ("63", "create_role_template_assignment"), ("64", "get_role_assignment"),
                ("65", "list_role_assignments"), ("66", "list_role_assignments_with_pager"),
                ("67", "update_role_assignment"), ("68", "delete_role_assignment"),
                ("69", "delete_role_policy_template"), ("70", "delete_role_template_version"),
                ("71", "delete_role_template"))))},
        "TestIamPolicyManagementV1::test_33_get_access_management_account_settings":
            _ACCESS_SETTINGS,
        "TestIamPolicyManagementV1::test_34_update_access_management_account_settings":
            _ACCESS_SETTINGS,
    },
    "test_iam_access_groups_v2.py": {f"TestIamAccessGroupsV2::{name}": _GROUP_TEMPLATES
                                     for name in (
        "test_create_template", "test_list_templates", "test_list_templates_with_pager",
        "test_create_template_version", "test_list_template_versions",
        "test_list_template_versions_with_pager", "test_get_template_version",
        "test_update_template_version", "test_get_latest_template_version",
        "test_commit_template", "test_create_assignment", "test_list_assignments",
        "test_get_assignment", "test_update_assignment", "test_delete_assignment",
        "test_delete_template_version", "test_delete_template")},
    "test_resource_manager_v2.py": {
        "TestResourceManagerV2::test_01_list_quota_definitions": "quota definitions",
        "TestResourceManagerV2::test_02_get_quota_definition": "quota definitions",
        "TestResourceManagerV2::test_04_create_resource_group_in_an_account":
            "resource group writes (iamcheck only reads resource groups)",
        "TestResourceManagerV2::test_05_get_resource_group_by_id":
            "reads the group test_04 creates",
        "TestResourceManagerV2::test_06_update_resource_group_by_id": "resource group writes",
        "TestResourceManagerV2::test_07_delete_resource_group_by_id": "resource group writes",
    },
    "test_user_management_v1.py": {
        "TestUserManagementV1::test_01_get_user_settings": "user settings",
        "TestUserManagementV1::test_02_update_user_settings": "user settings",
        "TestUserManagementV1::test_04_invite_users": "invitations",
        "TestUserManagementV1::test_06_update_user_profile": "user profile writes",
        "TestUserManagementV1::test_07_remove_user": "removing users",
    },
}

# Files left out whole: their class setup or teardown needs what the emulator does not serve.
OUT_OF_SCOPE_FILES: dict[str, str] = {
    "test_iam_identity_v1.py": "creates, lists and deletes API keys, service IDs and trusted "
    "profiles in its setup and teardown; of IAM Identity only GET /v1/apikeys/details is "
    "served here (the SDK self-test covers it)",
    "test_global_tagging_v1.py": "creates, attaches, detaches and deletes tags; the emulator "
    "serves tags read-only, from the seed",
    "test_account_management_v4.py": "needs an enterprise account",
}

# IBM's Node SDK equivalents (IBM/platform-services-node-sdk, test/integration), run by
# scripts/ibm_node_integration_tests.py against the published package.
NODE_TEST_FILES = (
    "iam-policy-management.v1.test.js",
    "iam-access-groups.v2.test.js",
    "global-search.v2.test.js",
    "resource-manager.v2.test.js",
    "user-management.v1.test.js",
)
# A piece of a test's full name (describe blocks and title) -> why it is out of scope.
NODE_OUT_OF_SCOPE: dict[str, str] = {
    "Policy Template tests": _POLICY_TEMPLATES,
    "Policy Assignment tests": _POLICY_TEMPLATES,
    "Action Control Template tests": _POLICY_TEMPLATES,
    "Role Template & Assignment tests": _POLICY_TEMPLATES,
    "Access Management account settings tests": _ACCESS_SETTINGS,
    "IamAccessGroupsV2_integration (create|list|get|update|commit|delete)(Latest)?Template":
        _GROUP_TEMPLATES,
    "IamAccessGroupsV2_integration (create|list|get|update|delete)Assignment": _GROUP_TEMPLATES,
    "UserManagementV1_integration (getUserSettings|updateUserSettings)": "user settings",
    "UserManagementV1_integration inviteUsers": "invitations",
    "UserManagementV1_integration (updateUserProfile|removeUser)": "user profile writes",
    "ResourceManagerV2_integration should (create|update|retrieve|delete) a( new)? resource "
    "group": "resource group writes (and reading the group they create)",
    "ResourceManagerV2_integration should get (a list of all quota definitions|a quota "
    "definition)": "quota definitions",
}
