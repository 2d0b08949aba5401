"""``chipao user …`` and ``chipao demo-accounts``: account administration from the
command line (owner role). Every change is written to the audit log."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from chipao.cli.main import args, command, console
from chipao.domain.passwords import PASSWORD_RULE
from chipao.domain.scope import Role, Scope
from chipao.settings import ROOT

DEMO_FILE = ROOT / "demo_accounts.txt"
# One account per role; P-codes from the HDX COD-AB boundaries (../shared/geodata).
DEMO_ACCOUNTS: list[tuple[str, Role, tuple[str, ...], str]] = [
    ("demo-executive", Role.EXECUTIVE, (), "ผู้บริหารระดับประเทศ (สาธิต)"),
    ("demo-province-th50", Role.PROVINCE, ("TH50",), "ศจพ.จังหวัดเชียงใหม่ (สาธิต)"),
    ("demo-district-th5001", Role.DISTRICT, ("TH5001",), "ศจพ.อำเภอเมืองเชียงใหม่ (สาธิต)"),
    ("demo-tambon-th500101", Role.TAMBON, ("TH500101",), "เจ้าหน้าที่ตำบลศรีภูมิ (สาธิต)"),
    ("demo-public", Role.PUBLIC, (), "ผู้เยี่ยมชม (สาธิต)"),
    ("demo-admin", Role.ADMIN, (), "ผู้ดูแลระบบ (สาธิต)"),
]


def _cli_scope() -> Scope:
    """The owner-level scope, named after the operating-system user for the audit log."""
    return Scope(f"cli:{getpass.getuser()}", Role.SYSTEM, ("TH",))


def _open_store() -> None:
    """Start the project-managed PostGIS when no DATABASE_URL is given."""
    if not os.environ.get("DATABASE_URL"):
        from chipao import settings
        from chipao.cli import localdb

        localdb.start()
        settings.reload()


def _password(from_stdin: bool, username: str) -> tuple[str, bool]:
    """(password, generated?) — read from the first line of stdin, or generated."""
    from chipao.domain.passwords import generate_password

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(username), True


def _user_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="action")
    c = sub.add_parser("create", help="create a user (prints a generated password once)",
                       description="Create a user. Province, district and tambon roles need "
                                   "--area P-codes of that level; the others take none. "
                                   + PASSWORD_RULE)
    c.add_argument("username", help="3–40 characters: a-z 0-9 _ . -")
    c.add_argument("--role", required=True, choices=[str(r) for r in Role if r != Role.SYSTEM])
    c.add_argument("--area", action="extend", nargs="+", default=[], metavar="PCODE",
                   help="area P-code(s) the user's records are limited to (e.g. TH50)")
    c.add_argument("--name", default="", help="display name (e.g. ศจพ.จ.เชียงใหม่)")
    c.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of stdin instead. "
                        + PASSWORD_RULE)
    r = sub.add_parser("reset-password", help="set a new password (ends the user's sessions)",
                       description="Set a new password (generated unless --password-stdin); "
                                   "ends the user's sessions and unlocks. " + PASSWORD_RULE)
    r.add_argument("username")
    r.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of stdin. " + PASSWORD_RULE)
    for name, text_ in (("disable", "disable an account (ends its sessions at once)"),
                        ("enable", "enable a disabled account")):
        sub.add_parser(name, help=text_, description=text_).add_argument("username")
    sub.add_parser("list", help="list users, roles, areas and state")


@args(_user_args)
@command("user", "Manage dashboard users: create, reset-password, disable, enable, list.")
def cmd_user(a: argparse.Namespace) -> int:
    from chipao.domain.passwords import hash_password
    from queries import audit, users
    from queries.db import owner

    _open_store()
    scope = _cli_scope()
    if a.action == "list":
        with owner() as conn:
            rows = users.list_users(conn, scope)
        print(f"{'username':<28} {'role':<10} {'areas':<22} {'state':<14} last sign-in")
        for u in rows:
            state = ("disabled" if u.disabled else "locked" if u.locked_until else "active")
            state += " demo" if u.is_demo else ""
            last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "–"
            print(f"{u.username:<28} {u.role!s:<10} {','.join(u.areas) or '–':<22} "
                  f"{state:<14} {last}")
        return 0

    username = a.username.strip().lower()
    if a.action in ("create", "reset-password"):
        password, generated = _password(a.password_stdin, username)
        password_hash = hash_password(password, username)  # WeakPassword: breaks the rule
        with owner() as conn:
            if a.action == "create":
                areas = tuple(p.strip().upper() for p in a.area)
                users.create_user(conn, scope, username, Role(a.role), password_hash, areas,
                                  a.name)
                audit.record(conn, scope, "user_create", username,
                             {"role": a.role, "areas": list(areas)})
            elif not users.set_password(conn, scope, username, password_hash):
                raise ValueError(f"no user {username!r}")
            else:
                audit.record(conn, scope, "user_reset_password", username)
        console.print(f"{a.action}: {username}")
        if generated:  # stdout, once: nothing else keeps it
            print(f"password for {username}: {password}")
        return 0

    disabled = a.action == "disable"
    with owner() as conn:
        if not users.set_disabled(conn, scope, username, disabled):
            raise ValueError(f"no user {username!r}")
        audit.record(conn, scope, f"user_{a.action}", username)
    console.print(f"{a.action}d: {username}")
    return 0


@args(lambda p: (p.add_argument("--remove", action="store_true",
                                help="only remove the demo accounts"),
                 p.add_argument("--file", default=str(DEMO_FILE),
                                help="where to write the passwords (git-ignored; mode 600)")))
@command("demo-accounts", "Create one demo account per role with random passwords "
                          "(replacing earlier demo accounts); prints them once and writes "
                          "demo_accounts.txt.")
def cmd_demo_accounts(a: argparse.Namespace) -> int:
    from chipao.domain.passwords import generate_password, hash_password
    from queries import audit, users
    from queries.db import owner

    _open_store()
    scope = _cli_scope()
    created: list[tuple[str, str, Role, tuple[str, ...]]] = []
    with owner() as conn:
        for name in users.delete_demo_users(conn, scope):
            audit.record(conn, scope, "user_delete", name, {"demo": True})
        if not a.remove:
            for username, role, areas, display in DEMO_ACCOUNTS:
                password = generate_password(username)
                users.create_user(conn, scope, username, role, hash_password(password, username), areas,
                                  display, is_demo=True)
                audit.record(conn, scope, "user_create", username,
                             {"role": str(role), "areas": list(areas), "demo": True})
                created.append((username, password, role, areas))
    if a.remove:
        console.print("demo accounts removed")
        return 0
    lines = ["# Chipao demo accounts — local demonstration only (git-ignored). A production",
             "# start refuses to run while they exist: chipao demo-accounts --remove", ""]
    lines += [f"{u:<24} {p:<20} {r!s:<10} {','.join(ar) or '-'}" for u, p, r, ar in created]
    fd = os.open(a.file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(a.file, 0o600)
    print("\n".join(lines[3:]))
    console.print(f"demo accounts written to {a.file} (mode 600); sign in at /login")
    return 0
