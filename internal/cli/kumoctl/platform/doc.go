// Package platform holds the commands that show what the platform offers:
// `kumoctl regions` (where clusters can run, and how full each region is)
// and `kumoctl versions` (the Kubernetes versions clusters can run).
package platform
