package demo

import (
	"strings"

	"github.com/tributary-cdc/tributary/deploy/local/schema"
)

// Role is what a server of the stack is for.
type Role int

// The roles of the stack's servers.
const (
	// RoleAccounts is an account shard, a source.
	RoleAccounts Role = iota + 1
	// RoleRecipes is the recipes cluster, a source.
	RoleRecipes
	// RoleTarget is the replication target.
	RoleTarget
)

// Server describes one server of the local stack.
type Server struct {
	// Name is the cluster name, also the folder of its data under the stack
	// directory ("jp-accounts").
	Name string
	// ServerID is the server's @@server_id.
	ServerID int
	// GTIDDomain is the server's @@gtid_domain_id.
	GTIDDomain int
	// Role tells which schema the server holds and what Tributary may do
	// there.
	Role Role
}

// Servers lists the servers of the local stack, sources first.
var Servers = []Server{
	{Name: "jp-accounts", ServerID: 1, GTIDDomain: 1, Role: RoleAccounts},
	{Name: "jp-recipes", ServerID: 2, GTIDDomain: 2, Role: RoleRecipes},
	{Name: "jp-accounts-2", ServerID: 3, GTIDDomain: 3, Role: RoleAccounts},
	{Name: "target", ServerID: 4, GTIDDomain: 4, Role: RoleTarget},
}

// Schema returns the SQL script that creates the server's demo schema.
func (s Server) Schema() string {
	switch s.Role {
	case RoleAccounts:
		return schema.Accounts
	case RoleRecipes:
		return schema.Recipes
	default:
		return schema.Target
	}
}

// Prefix returns the prefix of the server's keys in the env file
// ("JP_ACCOUNTS_2" for "jp-accounts-2").
func (s Server) Prefix() string {
	return strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
}

// WriterDSNs returns root DSNs of the account shards, in shard order, and
// of the recipes cluster: where a load generator writes.
func (e Env) WriterDSNs() (accounts []string, recipes string) {
	for _, s := range Servers {
		switch s.Role {
		case RoleAccounts:
			accounts = append(accounts, e.Get(s, SuffixRootDSN))
		case RoleRecipes:
			recipes = e.Get(s, SuffixRootDSN)
		}
	}
	return accounts, recipes
}
