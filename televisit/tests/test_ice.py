import base64
import hashlib
import hmac

from core.tests.test_settings import run
from televisit.ice import ice_servers

TURN_ENV = {
    "TELEVISIT_TURN_URLS": "turn:turn.example.pl:3478?transport=udp",
    "TELEVISIT_TURN_SECRET": "coturn-static-auth-secret",
}
RELAY_ONLY = "import django; django.setup(); from django.conf import settings; print(settings.TELEVISIT_RELAY_ONLY)"


def test_no_servers_by_default_host_candidates_suffice():
    assert ice_servers(televisit_id=7) == []


def test_turn_credentials_follow_coturns_shared_secret_scheme(settings):
    settings.TELEVISIT_STUN_URLS = ["stun:turn.example.pl:3478"]
    settings.TELEVISIT_TURN_URLS = ["turn:turn.example.pl:3478?transport=udp", "turns:turn.example.pl:5349"]
    settings.TELEVISIT_TURN_SECRET = "coturn-static-auth-secret"
    settings.TELEVISIT_TURN_TTL = 3600
    stun, turn = ice_servers(televisit_id=7, now=1_800_000_000)
    assert stun == {"urls": ["stun:turn.example.pl:3478"]}
    assert turn["urls"] == settings.TELEVISIT_TURN_URLS
    assert turn["username"] == "1800003600:7"
    expected = hmac.new(b"coturn-static-auth-secret", b"1800003600:7", hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected


def test_relay_only_comes_from_the_environment_and_is_off_by_default(tmp_path):
    relayed = run(RELAY_ONLY, tmp_path, TELEVISIT_RELAY_ONLY="true", **TURN_ENV)
    assert relayed.returncode == 0, relayed.stderr
    assert relayed.stdout.strip() == "True"
    default = run(RELAY_ONLY, tmp_path, **TURN_ENV)
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip() == "False"


def test_relay_only_without_a_turn_server_refuses_to_start(tmp_path):
    result = run(RELAY_ONLY, tmp_path, TELEVISIT_RELAY_ONLY="true")
    assert result.returncode != 0
    assert "TELEVISIT_RELAY_ONLY needs TELEVISIT_TURN_URLS" in result.stderr


def test_turn_without_its_secret_or_ice_urls_of_another_scheme_refuse_to_start(tmp_path):
    unsigned = run(RELAY_ONLY, tmp_path, TELEVISIT_TURN_URLS=TURN_ENV["TELEVISIT_TURN_URLS"])
    assert unsigned.returncode != 0
    assert "TELEVISIT_TURN_URLS needs TELEVISIT_TURN_SECRET" in unsigned.stderr
    foreign = run(RELAY_ONLY, tmp_path, **{**TURN_ENV, "TELEVISIT_TURN_URLS": "https://turn.example.pl:3478"})
    assert foreign.returncode != 0
    assert "take stun:, turn: or turns: URLs" in foreign.stderr
