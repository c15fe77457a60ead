from portevoix.workspaces.roles import MATRIX, Role, allowed_roles, grantable_roles
from portevoix.workspaces.roles_doc import DOC, documented_matrix, matrix_markdown


def test_docs_roles_md_matches_the_matrix_in_code():
    assert documented_matrix(DOC.read_text(encoding="utf-8")) == matrix_markdown(), (
        "docs/roles.md is stale: run `python -m portevoix.workspaces.roles_doc --write`"
    )


def test_owner_can_do_everything_and_client_only_views_approves_and_comments():
    assert all(Role.OWNER in allowed for allowed, _ in MATRIX.values())
    client_permissions = {name for name in MATRIX if Role.CLIENT in allowed_roles(name)}
    # The client (approver) reads, approves the steps assigned to clients, and comments; nothing else.
    assert client_permissions == {
        "workspace.view",
        "token.manage",
        "post.view",
        "post.approve",
        "comment.write",
    }


def test_only_owner_grants_ownership():
    assert Role.OWNER in grantable_roles(Role.OWNER)
    assert Role.OWNER not in grantable_roles(Role.MANAGER)
    assert grantable_roles(Role.COPYWRITER) == []
