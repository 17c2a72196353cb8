// Package cmdutil is what every kumoctl command shares: the Factory that
// lazily builds clients and IO streams (tests swap them), exit codes,
// error translation, and output printers.
package cmdutil
