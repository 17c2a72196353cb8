// Package exporter is Kumo's machine_exporter: which VM runs on which
// hypervisor (kumo_machine_info, one series per Machine) and what each
// hypervisor has and has sold, served on the manager's /metrics.
package exporter
