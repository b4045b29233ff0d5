"""The E-ARK project's own validator (``eark-validator`` on PyPI) run on a package.

At import the validator reads four CSIP vocabularies from earkcsip.dilcis.eu; the
package ships the same files, and this machine reaches no host but the package
registries, so those reads are answered from the shipped copies (only URLs of that
host, only during the import). Nothing of Värna is replaced."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

VOCAB_HOST = "https://earkcsip.dilcis.eu/schema/"

# eark-validator 1.1.3 contradicts itself in one rule: its SIP14 asks every note of a
# CREATOR agent for an unqualified @NOTETYPE="IDENTIFICATIONCODE", but the software
# agent's note that CSIP15/CSIP16 require (csip:NOTETYPE="SOFTWARE VERSION") may not
# carry an unqualified attribute under the METS 1.12 schema the same validator
# checks first (``anyAttribute namespace="##other"``). No package passes both; the
# tests accept this one finding and nothing else.
CONTRADICTORY = frozenset({"SIP14"})


@lru_cache(maxsize=1)
def _validator():
    vocabs = files("eark_validator.ipxml.resources.vocabs")
    real = urllib.request.urlopen

    def local(url, *args, **kwargs):
        if isinstance(url, str) and url.startswith(VOCAB_HOST):
            return vocabs.joinpath(url.removeprefix(VOCAB_HOST)).open("rb")
        return real(url, *args, **kwargs)

    urllib.request.urlopen = local
    try:
        import eark_validator.packages as packages
        from eark_validator.specifications.specification import SpecificationVersion
    finally:
        urllib.request.urlopen = real
    return packages, SpecificationVersion


@dataclass
class Report:
    structure: str
    schema: str
    schematron: str
    errors: list[str]
    warnings: list[str]

    @property
    def real_errors(self) -> list[str]:
        return [e for e in self.errors if e.split(":", 1)[0] not in CONTRADICTORY]

    @property
    def valid(self) -> bool:
        """Well-formed, METS-schema valid, and no schematron error but the
        validator's own contradiction."""
        return self.structure == "WELLFORMED" and self.schema == "VALID" and not self.real_errors


def validate(path: Path) -> Report:
    """E-ARK CSIP/SIP 2.1.0 validation of a package folder or zip. A zip is unpacked
    into a temporary folder of our own (the validator would leave its copy in /tmp)."""
    import tempfile
    import zipfile

    path = Path(path)
    if path.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            with zipfile.ZipFile(path) as z:
                z.extractall(tmp)
            (root,) = Path(tmp).iterdir()
            return _validate(root)
    return _validate(path)


def _validate(path: Path) -> Report:
    packages, version = _validator()
    report = packages.PackageValidator(path, version.V2_1_0).validation_report
    messages = list(report.structure.messages)
    schema = schematron = "NOT RUN"
    if report.metadata is not None:
        schema = report.metadata.schema_results.status.name
        schematron = report.metadata.schematron_results.status.name
        messages += report.metadata.schema_results.messages
        messages += report.metadata.schematron_results.messages

    def of(level: str) -> list[str]:
        return [f"{m.rule_id}: {m.message}" for m in messages if m.severity.name == level]

    return Report(
        structure=report.structure.status.name,
        schema=schema,
        schematron=schematron,
        errors=of("ERROR"),
        warnings=of("WARNING"),
    )


def schema_errors(xml_path: Path) -> list[str]:
    """A METS file (e.g. a representation's) against the validator's METS/CSIP schema."""
    from lxml import etree

    _validator()
    from eark_validator.ipxml.schema import IP_SCHEMA

    schema = IP_SCHEMA["csip"]
    ok = schema.validate(etree.parse(str(xml_path)))
    return [] if ok else [str(e) for e in schema.error_log]
