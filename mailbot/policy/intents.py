"""The intent taxonomy (``policies/intents.toml``): names, labels, triage, approval.

Admins may add or rename intents here; the phrasebank needs a template per
intent and language (``mailbot phrasebank check`` says which are missing).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from mailbot.errors import ConfigError
from mailbot.tomlfile import StrictModel, key_line, read_toml, validate


class IntentSpec(StrictModel):
    """One intent: its id, the label people see, and whether replies always need approval."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    description: str = ""
    always_approve: bool = False


class IntentPolicy(StrictModel):
    """The taxonomy and the confidence below which a person must triage."""

    triage_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    fallback: str = "other"
    intents: list[IntentSpec] = Field(min_length=1)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.intents)

    @property
    def always_approve(self) -> frozenset[str]:
        return frozenset(i.name for i in self.intents if i.always_approve)


def load_intent_policy(path: Path) -> IntentPolicy:
    """Read and validate intents.toml; duplicate names and an unknown fallback are errors."""
    data, text = read_toml(path)
    policy = validate(IntentPolicy, data, path=path, text=text)
    seen: set[str] = set()
    for index, spec in enumerate(policy.intents):
        if spec.name in seen:
            raise ConfigError(
                f"duplicate intent {spec.name!r}",
                path=str(path),
                line=key_line(text, ("intents", index, "name")),
                key=f"intents[{index}].name",
            )
        seen.add(spec.name)
    if policy.fallback not in seen:
        raise ConfigError(
            f"fallback intent {policy.fallback!r} is not in the taxonomy",
            path=str(path),
            line=key_line(text, ("fallback",)),
            key="fallback",
        )
    return policy
