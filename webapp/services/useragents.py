"""What a user-agent string says: device type, OS, browser, and whether it is a bot.

ua-parser (the maintained uap-core rules) names the OS, browser and device;
crawlerdetect recognises bots. Both are slow on a string they have not seen
(a few hundred microseconds), and scans repeat the same few phone strings, so
the whole description is cached per process.
"""
import functools
from dataclasses import dataclass

import ua_parser
from crawlerdetect import CrawlerDetect

MAX_LENGTH = 512  # the column's size; longer strings are cut before parsing

MOBILE_OS = {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "HarmonyOS",
             "Firefox OS", "Symbian OS", "Tizen"}
DESKTOP_OS = {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "Debian",
              "FreeBSD", "OpenBSD", "NetBSD", "Red Hat", "SUSE", "Arch Linux"}
_detector = CrawlerDetect()


@dataclass(frozen=True)
class Client:
    device_type: str  # mobile | tablet | desktop | bot | other
    os: str
    browser: str
    is_bot: bool


def describe(user_agent):
    """The `Client` a user-agent string describes ('' for what is unknown)."""
    return _describe((user_agent or "")[:MAX_LENGTH])


@functools.lru_cache(maxsize=4096)
def _describe(user_agent):
    parsed = ua_parser.parse(user_agent)
    os_name = parsed.os.family if parsed.os else ""
    browser = parsed.user_agent.family if parsed.user_agent else ""
    device = parsed.device
    # No phone camera or browser sends an empty user agent; scripts do.
    is_bot = (not user_agent.strip() or _detector.is_crawler(user_agent)
              or bool(device and device.family == "Spider"))
    return Client(device_type=_device_type(user_agent, os_name, device, is_bot),
                  os=os_name[:64], browser=browser[:64], is_bot=is_bot)


def _device_type(user_agent, os_name, device, is_bot):
    if is_bot:
        return "bot"
    family = device.family if device else ""
    brand = (device.brand or "") if device else ""
    if family in {"iPad", "Kindle"} or "Tablet" in family or "Tablet" in brand:
        return "tablet"
    # Android tablets are the Android browsers that leave "Mobile" out.
    if os_name == "Android" and "Mobile" not in user_agent:
        return "tablet"
    if os_name in MOBILE_OS or family in {"iPhone", "iPod", "Generic Smartphone"}:
        return "mobile"
    if os_name in DESKTOP_OS:
        return "desktop"
    return "other"
