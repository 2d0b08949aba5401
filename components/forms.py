"""Form helpers. A set of radio buttons or check boxes is named by its visible label
through role=radiogroup/group and aria-labelledby (a <label for> cannot name a group,
and each option's own label names only that option)."""

from __future__ import annotations

from dash import html


def labelled_group(label: str, control, group_id: str, role: str = "radiogroup",
                   label_class: str = "form-label") -> list:
    """[label, group]: the label's id names the group holding `control`."""
    label_id = f"{group_id}-label"
    return [html.Div(label, id=label_id, className=label_class),
            html.Div(control, role=role, **{"aria-labelledby": label_id})]
