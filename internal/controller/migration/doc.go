// Package migration is the ClusterMigration controller: it moves a
// cluster's workers to another region in percentage steps (new Machines in
// the target first, then cordon and drain of as many old nodes), soaks,
// then deletes the old Machines, or rolls everything back on request.
package migration
