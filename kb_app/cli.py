"""The command-line tool ``kb-app``. Later work adds subcommands here."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from kb_app.dbtypes import utcnow
from kb_app.settings import REPO_ROOT, get_settings

COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}


def command(
    name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None] | None = None
):
    def deco(fn: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help_text, configure or (lambda p: None), fn)
        return fn

    return deco


def migrate_database() -> None:
    from alembic.config import Config

    from alembic import command as alembic_command

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    alembic_command.upgrade(cfg, "head")


@command("migrate", "Uppgradera databasen till senaste schemat (alembic upgrade head).")
def _migrate(args: argparse.Namespace) -> int:
    migrate_database()
    print("Databasen är uppdaterad.")
    return 0


def _second_factors(emails: list[str]) -> dict[str, str]:
    """What second factor each demo account has now ("" none): "app", "passkey"."""
    from sqlalchemy import func
    from sqlmodel import select

    from kb_app.db import read_scope
    from kb_app.models import Passkey, User

    with read_scope() as s:
        found = {}
        for user in s.exec(select(User).where(User.email.in_(emails))):
            keys = s.exec(
                select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id)
            ).one()
            found[user.email] = " och ".join(
                kind for kind, has in (("app", user.totp_secret), ("passkey", keys)) if has
            )
        return found


def _print_logins(logins) -> None:
    print(f"\nDemo-inloggningar (lösenord för alla: {logins[0].password}):")
    from kb_app.domain.vocab import ROLE_LABELS

    factors = _second_factors([login.email for login in logins])
    for login in logins:
        factor = factors.get(login.email) or "ingen"
        print(
            f"  {ROLE_LABELS[login.role]:<24} {login.email:<36} {login.name:<24} "
            f"tvåstegsverifiering: {factor}"
        )
    without = [login.email for login in logins if not factors.get(login.email)]
    if len(without) == len(logins):
        print(
            "Inget av demokontona har tvåstegsverifiering (varken app eller passkey): "
            "de loggar in med bara lösenordet, eftersom demoorganisationen inte kräver den."
        )
    elif without:
        print("Utan tvåstegsverifiering (bara lösenord): " + ", ".join(without) + ".")
    print(
        "En ny organisation kräver tvåstegsverifiering av huvudman, rektor och "
        "administratör (ändras under Inställningar)."
    )


@command(
    "seed-demo",
    "Skapa demodata (Exempelkommun) om den saknas och skriv ut demo-inloggningarna.",
)
def _seed_demo(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from kb_app.db import read_scope
    from kb_app.devdata import seed
    from kb_app.models import User

    logins = seed.seed_demo(now=utcnow())
    if logins is None:
        print("Demodata finns redan.")
        with read_scope() as s:
            emails = {u.email for u in s.exec(select(User))}
        logins = [
            seed.DemoLogin(role, name, email, seed.DEMO_PASSWORD)
            for role, name, email, _ in seed.USERS
            if email in emails
        ]
    else:
        print("Demodata skapad: Exempelkommun med fyra enheter och 60 ärenden.")
    if logins:
        _print_logins(logins)
    return 0


def _cfg_create_admin(p: argparse.ArgumentParser) -> None:
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--organisation", help="Organisationens namn (skapas om ingen finns).")
    p.add_argument(
        "--password-stdin", action="store_true", help="Läs lösenordet från standard input."
    )


@command("create-admin", "Skapa en administratör för en riktig installation.", _cfg_create_admin)
def _create_admin(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from kb_app.db import session_scope
    from kb_app.domain.vocab import Role
    from kb_app.models import Organisation, OrgSetting, RoleAssignment, User
    from kb_app.services.admin import account, auth

    password = (
        sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Lösenord: ")
    )
    problem = account.new_password_problem(password, user_inputs=(args.name, args.email))
    if problem:
        print(problem, file=sys.stderr)
        return 2
    email = auth.normalise_email(args.email)
    if "@" not in email:
        print("Ogiltig e-postadress.", file=sys.stderr)
        return 2
    hashed = auth.hash_password(password)
    with session_scope() as s:
        if s.exec(select(User).where(User.email == email)).first():
            print(f"Det finns redan en användare med e-postadressen {email}.", file=sys.stderr)
            return 1
        org = None
        if args.organisation:
            org = s.exec(select(Organisation).where(Organisation.name == args.organisation)).first()
        if org is None:
            orgs = s.exec(select(Organisation)).all()
            if len(orgs) == 1 and not args.organisation:
                org = orgs[0]
            elif not args.organisation:
                print("Ange --organisation (namnet på huvudmannen).", file=sys.stderr)
                return 2
            else:
                org = Organisation(name=args.organisation)
                s.add(org)
                s.flush()
                s.add(OrgSetting(organisation_id=org.id))
        user = User(
            organisation_id=org.id, email=email, name=args.name.strip(), password_hash=hashed
        )
        s.add(user)
        s.flush()
        s.add(RoleAssignment(user_id=user.id, role=Role.ADMIN))
    print(f"Administratören {email} är skapad i {org.name}.")
    return 0


def _cfg_report_links(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--skapa-saknade",
        dest="create_missing",
        action="store_true",
        help="Skapa en länk för enheter som saknar en.",
    )


@command(
    "report-links",
    "Skriv ut varje enhets anmälningslänk (KB_PUBLIC_URL + /anmalan/<token>).",
    _cfg_report_links,
)
def _report_links(args: argparse.Namespace) -> int:
    from kb_app.dbtypes import utcnow
    from kb_app.services.reporting import report_links

    rows = report_links.all_links(create_missing=args.create_missing, now=utcnow())
    if not rows:
        print("Det finns inga enheter.")
        return 0
    width = max(len(unit) for _, unit, _ in rows)
    org = None
    for org_name, unit, url in rows:
        if org_name != org:
            print(f"{org_name}:")
            org = org_name
        print(f"  {unit:<{width}}  {url or '(ingen aktiv länk: kör med --skapa-saknade)'}")
    return 0


@command(
    "stats-backfill",
    "Räkna fram arbetsdagar per steg för statistiken för ärenden som lästs in utan tidslinjen.",
)
def _stats_backfill(args: argparse.Namespace) -> int:
    from kb_app.services.statistics.queries import backfill_step_days

    n = backfill_step_days()
    print(f"Uppdaterade {n} ärenden.")


def _cfg_seed_bench(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cases", type=int, default=200_000, help="Antal ärenden (standard 200 000).")
    p.add_argument("--units", type=int, default=500, help="Antal enheter (standard 500).")
    p.add_argument("--years", type=int, default=10, help="Antal läsår bakåt (standard 10).")
    p.add_argument(
        "--database-url",
        required=True,
        help="En egen databas för benchmarken, t.ex. sqlite:///data/bench.db eller "
        "postgresql+psycopg://postgres@127.0.0.1:5432/kb_bench (skapas om den saknas).",
    )
    p.add_argument("--replace", action="store_true", help="Töm databasen först.")
    p.add_argument("--seed", type=int, default=2026, help="Slumpfrö (samma frö ger samma data).")


@command(
    "seed-bench",
    "Bygg en stor organisation (Storkommun) för benchmarken i en egen databas.",
    _cfg_seed_bench,
)
def _seed_bench(args: argparse.Namespace) -> int:
    from kb_app.devdata import bench as seed_bench

    if args.cases < 1 or args.units < 1 or args.years < 1:
        print("--cases, --units och --years måste vara minst 1.", file=sys.stderr)
        return 2
    report = seed_bench.seed_bench(
        args.database_url,
        cases=args.cases,
        units=args.units,
        years=args.years,
        now=utcnow(),
        replace=args.replace,
        rng_seed=args.seed,
        progress=lambda m: print(m, flush=True),
    )
    print(
        f"Klart på {report.seconds:.0f} s: {report.cases} ärenden, {report.events} händelser, "
        f"{report.parties} parter, {report.units} enheter, {report.users} användare."
    )
    for email, password in report.logins:
        print(f"  {email}  (lösenord {password})")
    return 0


@command("settings", "Visa gällande inställningar (utan hemligheter).")
def _settings(args: argparse.Namespace) -> int:
    s = get_settings()
    print(f"Databas:      {s.database_url.split('@')[-1]}")
    print(f"Publik adress: {s.public_url}")
    print(f"SMTP:         {s.smtp_host or '(ej konfigurerad: e-post stannar i utkorgen)'}")
    print(f"Schemaläggare: {'på' if s.scheduler else 'av'} (lås {s.scheduler_lease_seconds} s)")
    print(f"Granskningsnyckel: {s.audit_key_file}")
    print(f"Kontrollpunkter:   {s.audit_checkpoint_file}")
    print(f"Redis:        {'satt' if s.redis_url else '(ej satt)'}")
    print(f"Loggformat:   {s.log_format}")
    nightly = (
        f"varje natt till {s.backup_dir}, {s.backup_keep} sparas"
        f"{', krypterade' if s.backup_passphrase else ''}"
        if s.backup_nightly
        else "av"
    )
    print(f"Nattlig säkerhetskopia: {nightly}")
    return 0


def _cfg_scheduler(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--once",
        action="store_true",
        help="Kör varje jobb en gång nu och avsluta (säkert även när en schemaläggare redan kör).",
    )


@command(
    "scheduler",
    "Kör bakgrundsjobben (utskick, påminnelser, daglig sammanfattning) i den här processen. "
    "Använd med KB_SCHEDULER=off i webbprocesserna.",
    _cfg_scheduler,
)
def _scheduler(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from kb_app.services.mail import scheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if args.once:
        print(scheduler.run_once(now=utcnow()))
        return 0
    print("Schemaläggaren kör. Avsluta med Ctrl+C.", flush=True)
    asyncio.run(scheduler.run_forever())
    return 0


def _cfg_audit(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "what",
        choices=["verify", "checkpoint"],
        help="verify: kontrollera varje ärendes hashkedja, sigill och kontrollpunkt; "
        "checkpoint: kontrollera och skriv en signerad kontrollpunkt av alla kedjors slut",
    )


@command(
    "audit",
    "Granskning: 'audit verify' visar varje ändrad eller raderad händelse, ändrat ärende, "
    "ändrad part och raderat ärende; 'audit checkpoint' förankrar kedjornas slut i en "
    "signerad kontrollpunkt i datamappen och i loggen.",
    _cfg_audit,
)
def _audit(args: argparse.Namespace) -> int:
    import logging

    from kb_app.services.case import audit

    if args.what == "checkpoint":
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        written = audit.write_checkpoint(now=utcnow())
        if written.written:
            print(
                f"OK: kontrollpunkt över {written.cases} ärenden skriven till "
                f"{audit.checkpoint_path()} (signatur {written.signature[:16]}…)."
            )
            return 0
        result = written.verify
    else:
        result = audit.verify_all()
    if result.ok:
        cp = result.checkpoint
        against = f" mot kontrollpunkten {cp.at}" if cp else " (ingen kontrollpunkt finns än)"
        print(f"OK: {result.cases} ärenden och {result.events} händelser kontrollerade{against}.")
        return 0
    for finding in result.findings:
        print(f"FEL: {finding.message()}")
    print(f"({len(result.findings)} fel; {result.cases} ärenden kontrollerade.)")
    if args.what == "checkpoint":
        print("Ingen kontrollpunkt skrevs: den senaste giltiga står kvar.")
    return 1


def _cfg_archive(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "what",
        choices=["verify"],
        help="verify: kontrollera ett arkivpakets struktur och varje fils kontrollsumma",
    )
    p.add_argument("file", metavar="FIL", help="arkivpaketet (zip) som hämtats från Värna")


@command(
    "archive",
    "Arkivpaket: 'archive verify FIL' kontrollerar att paketet har E-ARK-strukturen "
    "och att varje fil har samma storlek och SHA-256 som i paketbeskrivningen (METS).",
    _cfg_archive,
)
def _archive(args: argparse.Namespace) -> int:
    from kb_app.services.case import archive

    result = archive.verify(args.file)
    if result.ok:
        print(f"OK: arkivpaketet {result.objid} är helt: {result.files} filer kontrollerade.")
        return 0
    for finding in result.findings:
        print(f"FEL: {finding}")
    if result.objid:
        print(
            f"({len(result.findings)} fel.) Arkivpaketet är ändrat eller skadat: hämta ett "
            "nytt från Värna och lämna inte detta till arkivet."
        )
    return 1


def _passphrase(args: argparse.Namespace) -> str | None:
    if args.passphrase_stdin:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise SystemExit("Lösenfrasen är tom.")
        return value
    return None


def _cfg_backup(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="Filen att skriva (t.ex. varna-2026-12-02.tar.gz).")
    p.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="Kryptera med en lösenfras från standard input (annars KB_BACKUP_PASSPHRASE "
        "om den är satt).",
    )


@command(
    "backup",
    "Säkerhetskopiera medan appen kör: databasen (SQLite: online-backup, PostgreSQL: "
    "pg_dump), den hemliga nyckeln, granskningsnyckeln och bilagorna, i en fil.",
    _cfg_backup,
)
def _backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kb_app.services.ops import backup

    passphrase = _passphrase(args) or get_settings().backup_passphrase
    try:
        summary = backup.create(Path(args.file), passphrase=passphrase, now=utcnow())
    except backup.BackupError as exc:
        print(f"Säkerhetskopieringen misslyckades: {exc}", file=sys.stderr)
        return 1
    print(f"Säkerhetskopia skriven till {summary.path}: {summary.message()}.")
    if not summary.key_files:
        print(
            "OBS: den hemliga nyckeln kommer från KB_SECRET_KEY och finns inte i filen: "
            "spara den separat.",
            file=sys.stderr,
        )
    return 0


def _cfg_restore(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="Säkerhetskopian att läsa in.")
    p.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="Lösenfrasen för en krypterad kopia från standard input (annars "
        "KB_BACKUP_PASSPHRASE).",
    )


@command(
    "restore",
    "Återställ en säkerhetskopia till en tom datamapp och databas (KB_DATA_DIR, "
    "KB_DATABASE_URL). Skriver aldrig över en installation som används.",
    _cfg_restore,
)
def _restore(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from kb_app.services.ops import backup

    passphrase = _passphrase(args) or os.environ.get("KB_BACKUP_PASSPHRASE") or None
    try:
        summary = backup.restore(Path(args.file), passphrase=passphrase)
    except backup.BackupError as exc:
        print(f"Återställningen misslyckades: {exc}", file=sys.stderr)
        return 1
    print(f"Återställt: {summary.message()}.")
    print("Kör 'kb-app migrate' och 'kb-app audit verify' innan appen startas.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kb-app", description="Värna: kommandon för drift.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, (help_text, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    return COMMANDS[args.cmd][2](args)


if __name__ == "__main__":
    raise SystemExit(main())
