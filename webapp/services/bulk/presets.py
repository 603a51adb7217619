"""The `style` column of a bulk CSV: the name of one of the uploader's style presets.

Presets are read once per job and each one used is validated (and its logo
loaded) once, not once per row.
"""
from webapp.services import ServiceError
from webapp.services.codes.styles import check_logo, list_presets, validated_style

MAX_NAMES_SHOWN = 5


def _name_key(name):
    return " ".join((name or "").split()).casefold()


class Presets:
    def __init__(self, actor):
        self.actor = actor
        self._styles = None  # name key → (display name, style JSON)
        self._looks = {}  # name key → (Style, logo, style JSON) or the ServiceError to raise

    def look(self, name):
        """(Style, logo image or None, style JSON) for a preset name; "" is the default style."""
        key = _name_key(name)
        if key not in self._looks:
            self._looks[key] = self._resolve(key, name)
        found = self._looks[key]
        if isinstance(found, ServiceError):
            raise found
        return found

    def _resolve(self, key, name):
        if not key:
            style = validated_style(None)
            return style, None, style.to_json()
        if self._styles is None:
            self._styles = {_name_key(p.name): (p.name, p.style) for p in list_presets(self.actor)}
        if key not in self._styles:
            return self._unknown(name)
        try:
            style = validated_style(self._styles[key][1])
            logo = check_logo(self.actor, style)
        except ServiceError as exc:
            message = f"The preset “{self._styles[key][0]}” cannot be used: {exc.message}"
            return ServiceError(message, fields={"style": message}, status=422)
        return style, logo, style.to_json()

    def _unknown(self, name):
        names = sorted(display for display, _ in self._styles.values())
        if names:
            shown = ", ".join(f"“{n}”" for n in names[:MAX_NAMES_SHOWN])
            more = f" and {len(names) - MAX_NAMES_SHOWN} more" if len(names) > MAX_NAMES_SHOWN else ""
            hint = f"Your presets: {shown}{more}."
        else:
            hint = "You have no style presets yet: save one in the code editor, or leave the cell empty."
        message = f"You have no style preset named “{name.strip()[:60]}”. {hint}"
        return ServiceError(message, fields={"style": message}, status=422)
