"""The network stack in each egress mode, with a Shared VPC, and with VPC-SC dry-run or enforced."""

from __future__ import annotations

from tests.conftest import resources
from tests.network.conftest import variant

HEALTH_CHECKS = ["35.191.0.0/16", "130.211.0.0/22"]


def _by_name(tf_json: dict, resource_type: str) -> dict[str, dict]:
    return {body["name"]: body for body in resources(tf_json, resource_type)}


def test_private_vpc_has_no_auto_subnets_and_logged_private_subnet(synth_network) -> None:
    tf = synth_network(variant(network={"flow_logs": {"interval": "INTERVAL_1_MIN", "sampling": 0.25}}))
    (vpc,) = resources(tf, "google_compute_network")
    assert vpc["auto_create_subnetworks"] is False and vpc["delete_default_routes_on_create"] is True
    (subnet,) = resources(tf, "google_compute_subnetwork")
    assert subnet["private_ip_google_access"] is True
    assert subnet["log_config"]["aggregation_interval"] == "INTERVAL_1_MIN"
    assert subnet["log_config"]["flow_sampling"] == 0.25
    assert [r["range_name"] for r in subnet["secondary_ip_range"]] == ["pods", "services"]


def test_nat_mode_has_router_logged_nat_and_a_default_route(synth_network) -> None:
    tf = synth_network(variant(network={"egress": "nat", "nat_logging": "ERRORS_ONLY"}))
    (nat,) = resources(tf, "google_compute_router_nat")
    assert nat["log_config"] == {"enable": True, "filter": "ERRORS_ONLY"}
    assert nat["source_subnetwork_ip_ranges_to_nat"] == "LIST_OF_SUBNETWORKS"
    assert len(resources(tf, "google_compute_router")) == 1
    routes = {route["dest_range"]: route for route in resources(tf, "google_compute_route")}
    assert set(routes) == {"0.0.0.0/0", "199.36.153.4/30"}
    assert all(route["next_hop_gateway"] == "default-internet-gateway" for route in routes.values())


def test_nat_mode_denies_egress_by_default_with_the_same_allows_as_air_gapped(synth_network) -> None:
    rules = _by_name(synth_network(variant(network={"egress": "nat"})), "google_compute_firewall")
    deny = rules["rayfort-net-deny-all-egress"]
    assert deny["direction"] == "EGRESS" and deny["deny"] == [{"protocol": "all"}]
    assert deny["destination_ranges"] == ["0.0.0.0/0"] and deny["priority"] == 65534
    egress_allows = {name for name, rule in rules.items() if rule["direction"] == "EGRESS" and "allow" in rule}
    assert egress_allows == {
        "rayfort-net-allow-egress-google-apis",
        "rayfort-net-allow-egress-internal",
        "rayfort-net-allow-egress-redis",
    }
    assert "172.16.0.0/28" in rules["rayfort-net-allow-egress-internal"]["destination_ranges"]
    assert resources(synth_network(variant(network={"egress": "nat"})), "google_compute_network_firewall_policy") == []


def test_opening_nat_egress_drops_the_deny_and_its_allows(synth_network) -> None:
    tf = synth_network(variant(network={"egress": "nat", "internet_egress": {"deny_by_default": False}}))
    assert not any(rule["direction"] == "EGRESS" for rule in resources(tf, "google_compute_firewall"))


def test_fqdn_allowlist_is_a_logged_https_rule_evaluated_before_the_deny(synth_network) -> None:
    fqdns = ["pypi.org", "files.pythonhosted.org"]
    tf = synth_network(variant(network={"egress": "nat", "internet_egress": {"allowed_fqdns": fqdns}}))
    (rule,) = resources(tf, "google_compute_network_firewall_policy_rule")
    assert rule["direction"] == "EGRESS" and rule["action"] == "allow" and rule["enable_logging"] is True
    assert rule["match"] == {"dest_fqdns": fqdns, "layer4_configs": [{"ip_protocol": "tcp", "ports": ["443"]}]}
    (association,) = resources(tf, "google_compute_network_firewall_policy_association")
    assert association["attachment_target"].startswith("${google_compute_network.")
    (vpc,) = resources(tf, "google_compute_network")
    assert vpc["network_firewall_policy_enforcement_order"] == "BEFORE_CLASSIC_FIREWALL"
    assert "rayfort-net-deny-all-egress" in _by_name(tf, "google_compute_firewall")


def test_internet_egress_is_refused_where_it_cannot_apply() -> None:
    from tests.network.conftest import messages

    airgapped = variant(network={"egress": "none", "internet_egress": {"allowed_fqdns": ["pypi.org"]}})
    assert any(m.startswith("network.internet_egress: has no effect") for m in messages(airgapped))
    no_mirror = variant(network={"egress": "nat"}, registry_mirror=None)
    assert any(m.startswith("network.internet_egress.allowed_fqdns: denies the internet") for m in messages(no_mirror))
    assert any(m.startswith("registry_mirror: must be set") for m in messages(no_mirror))


def test_airgapped_mode_has_no_nat_and_only_the_vip_route(synth_network) -> None:
    tf = synth_network(variant(network={"egress": "none"}, registry_mirror={}))
    assert resources(tf, "google_compute_router_nat") == []
    assert resources(tf, "google_compute_router") == []
    assert [route["dest_range"] for route in resources(tf, "google_compute_route")] == ["199.36.153.4/30"]
    rules = _by_name(tf, "google_compute_firewall")
    deny = rules["rayfort-net-deny-all-egress"]
    assert deny["direction"] == "EGRESS" and deny["deny"] == [{"protocol": "all"}]
    assert deny["destination_ranges"] == ["0.0.0.0/0"] and deny["priority"] == 65534
    allowed = {
        cidr: rule["allow"]
        for rule in rules.values()
        if rule["direction"] == "EGRESS" and "allow" in rule
        for cidr in rule["destination_ranges"]
    }
    assert allowed == {
        "199.36.153.4/30": [{"protocol": "tcp", "ports": ["443"]}],
        "10.10.0.0/20": [{"protocol": "all"}],
        "10.20.0.0/16": [{"protocol": "all"}],
        "10.30.0.0/20": [{"protocol": "all"}],
        "172.16.0.0/28": [{"protocol": "all"}],
        "10.40.0.0/20": [{"protocol": "tcp", "ports": ["6378"]}],
    }


def test_google_api_names_go_to_the_restricted_vip_inside_a_perimeter(synth_network) -> None:
    tf = synth_network(variant(network={"egress": "none"}, registry_mirror={}))
    zones = {zone["dns_name"]: zone for zone in resources(tf, "google_dns_managed_zone")}
    assert set(zones) == {"googleapis.com.", "gcr.io.", "pkg.dev."}
    assert all(zone["visibility"] == "private" for zone in zones.values())
    records = {(r["name"], r["type"]): r["rrdatas"] for r in resources(tf, "google_dns_record_set")}
    vip = ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"]
    assert records[("restricted.googleapis.com.", "A")] == vip
    assert records[("*.googleapis.com.", "CNAME")] == ["restricted.googleapis.com."]
    assert records[("gcr.io.", "A")] == vip and records[("*.gcr.io.", "CNAME")] == ["gcr.io."]
    assert records[("pkg.dev.", "A")] == vip and records[("*.pkg.dev.", "CNAME")] == ["pkg.dev."]
    (policy,) = resources(tf, "google_dns_policy")
    assert policy["enable_logging"] is True


def test_without_vpc_sc_names_go_to_the_private_vip(synth_network) -> None:
    tf = synth_network(variant(network={"egress": "none", "service_controls": {"enabled": False}}, registry_mirror={}))
    records = {(r["name"], r["type"]): r["rrdatas"] for r in resources(tf, "google_dns_record_set")}
    assert records[("private.googleapis.com.", "A")] == [
        "199.36.153.8",
        "199.36.153.9",
        "199.36.153.10",
        "199.36.153.11",
    ]
    assert [route["dest_range"] for route in resources(tf, "google_compute_route")] == ["199.36.153.8/30"]
    rules = _by_name(tf, "google_compute_firewall")
    assert rules["rayfort-net-allow-egress-google-apis"]["destination_ranges"] == ["199.36.153.8/30"]
    assert resources(tf, "google_access_context_manager_service_perimeter") == []


def test_firewall_is_deny_by_default_logged_and_least_privilege(synth_network) -> None:
    tf = synth_network(variant())
    rules = _by_name(tf, "google_compute_firewall")
    assert all(rule["log_config"] == {"metadata": "INCLUDE_ALL_METADATA"} for rule in rules.values())
    assert all(rule["description"] for rule in rules.values())
    deny = rules["rayfort-net-deny-all-ingress"]
    assert deny["deny"] == [{"protocol": "all"}] and deny["source_ranges"] == ["0.0.0.0/0"]
    health = rules["rayfort-net-allow-lb-health-checks"]
    assert health["source_ranges"] == HEALTH_CHECKS
    assert health["destination_ranges"] == ["10.20.0.0/16"]
    assert health["allow"] == [{"protocol": "tcp", "ports": ["8265"]}]
    control_plane = rules["rayfort-net-allow-control-plane"]
    assert control_plane["source_ranges"] == ["172.16.0.0/28"]
    assert control_plane["allow"] == [{"protocol": "tcp", "ports": ["443", "10250"]}]
    assert "rayfort-net-allow-iap-ssh" not in rules
    for rule in rules.values():
        assert "0.0.0.0/0" not in rule.get("source_ranges", []) or "allow" not in rule


def test_iap_tcp_forwarding_only_when_enabled(synth_network) -> None:
    rules = _by_name(synth_network(variant(network={"iap_tcp_forwarding": True})), "google_compute_firewall")
    iap = rules["rayfort-net-allow-iap-ssh"]
    assert iap["source_ranges"] == ["35.235.240.0/20"] and iap["allow"] == [{"protocol": "tcp", "ports": ["22"]}]
    assert iap["destination_ranges"] == ["10.10.0.0/20"]


def test_private_service_access_reserves_the_private_services_range(synth_network) -> None:
    tf = synth_network(variant(network={"private_services_cidr": "10.50.0.0/20"}))
    (address,) = resources(tf, "google_compute_global_address")
    assert (address["purpose"], address["address_type"]) == ("VPC_PEERING", "INTERNAL")
    assert (address["address"], address["prefix_length"]) == ("10.50.0.0", 20)
    (connection,) = resources(tf, "google_service_networking_connection")
    assert connection["service"] == "servicenetworking.googleapis.com"
    (peering_range,) = connection["reserved_peering_ranges"]
    assert peering_range.startswith(
        "${google_compute_global_address.private-services_range_"
    ) and peering_range.endswith(".name}")


def test_network_stack_offers_typed_references() -> None:
    from rayfort._cdk import App
    from stacks.app import network_stack
    from tests.network.conftest import build

    refs = network_stack(App(), build(variant())).refs
    assert (refs.control_plane_cidr, refs.private_services_cidr) == ("172.16.0.0/28", "10.40.0.0/20")
    assert refs.pods_range_name == "pods" and refs.services_range_name == "services"
    for token in (refs.network_id, refs.subnet_id, refs.subnet_cidr, refs.private_services_range):
        assert token.startswith("${TfToken")


def test_outputs_name_the_network_for_people(synth_network) -> None:
    outputs = synth_network(variant())["output"]
    assert set(outputs) == {
        "network-self-link",
        "subnet-self-link",
        "pods-range-name",
        "services-range-name",
        "control-plane-cidr",
        "dns-zone-names",
        "deploy_record",
    }
    assert outputs["control-plane-cidr"]["value"] == "172.16.0.0/28"
    assert outputs["pods-range-name"]["value"] == "pods"
    assert outputs["network-self-link"]["value"].startswith("${google_compute_network.")


def test_cluster_name_must_leave_room_for_network_resource_names() -> None:
    from tests.network.conftest import messages

    found = messages(variant(cluster={"name": "r" * 39}))
    assert found and found[0].startswith("cluster.name: is too long to prefix the network's resource names")
    assert messages(variant(cluster={"name": "r" * 38})) == []
