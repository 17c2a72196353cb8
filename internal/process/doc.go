// Package process starts and supervises the child processes Kumo runs
// locally (etcd, API servers, controller managers, kwok): each dies with its
// parent, logs to a file, and a Supervisor restarts it when it exits.
package process
