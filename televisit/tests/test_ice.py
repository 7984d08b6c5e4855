import base64
import hashlib
import hmac

from televisit.ice import ice_servers


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
