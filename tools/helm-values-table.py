#!/usr/bin/env python3
"""Regenerates the "## Parameters" section of helm/flow-sidecar/README.md from the `## @section`
and `## @param` comments of values.yaml (readme-generator style) and the default values.
Needs PyYAML (Debian: python3-yaml). ValuesDocumentationTest fails when the two drift apart."""
import json
import pathlib
import re

import yaml

CHART = pathlib.Path(__file__).resolve().parent.parent / "helm" / "flow-sidecar"
MARKER = "## Parameters\n"


def default_of(values, key):
    node = values
    for part in key.split("."):
        node = node[part]
    if isinstance(node, bool):
        return "true" if node else "false"
    if node is None:
        return "null"
    if isinstance(node, str):
        return '"' + node + '"'
    if isinstance(node, (dict, list)):
        return json.dumps(node, separators=(",", ":"))
    return str(node)


def table(text):
    values = yaml.safe_load(text)
    out = []
    for line in text.splitlines():
        section = re.match(r"\s*## @section (.*)", line)
        if section:
            out.append(f"\n### {section.group(1).strip()}\n\n| Name | Description | Default |\n| --- | --- | --- |")
            continue
        param = re.match(r"\s*## @param (\S+) (.*)", line)
        if param:
            key, desc = param.group(1), param.group(2).strip().replace("|", "\\|")
            out.append(f"| `{key}` | {desc} | `{default_of(values, key).replace('|', chr(92) + '|')}` |")
    return "\n".join(out).strip() + "\n"


def main():
    readme = CHART / "README.md"
    head = readme.read_text().split(MARKER)[0]
    readme.write_text(head + MARKER + "\n" + table((CHART / "values.yaml").read_text()))


if __name__ == "__main__":
    main()
