// Package ports keeps the TCP ports of the Kumo platforms on one machine
// apart: a registry file, shared by every data directory and locked while
// read and written, records which ports each one holds, running or not.
package ports
