// Package kumoctl is the tenant CLI's command tree. Each command lives in
// its own file under a folder per noun (cluster/, nodepool/, ...), so adding
// a command is adding one file and one AddCommand line.
package kumoctl
