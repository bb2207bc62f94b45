"""Admission policies for tenant namespaces: what a team may submit itself, checked when it submits.

``ValidatingAdmissionPolicy`` objects (CEL, evaluated in the API server) bound to every namespace that
carries rayfort's tenant label. They refuse a RayCluster, RayJob or RayService that would run without
the platform's token auth, TLS, image allowlist, restricted containers, requests and limits or tenant
label, and any Service that would open the tenant to more than an internal load balancer, each with a
message that says what to set. Pod Security still judges the pods; these policies answer at submission
instead of long after, when the operator creates them.
"""
