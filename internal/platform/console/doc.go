// Package console tells the person who ran `kumo up` what happens, one line
// per thing they care about: a cluster created, Ready, scaled, failed or
// deleted, a component restarted. The details go to log files.
package console
