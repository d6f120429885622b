module github.com/nomad-vault-action/openbao-build

go 1.24

// Requirements are added by scripts/openbao.sh (OPENBAO_FROM_SOURCE=1):
//   github.com/openbao/openbao dd9c19c37a878cf4a81b18efb8d6f0599c7da923 (the v2.6.2 release commit),
//   with github.com/openbao/openbao/api/v2 and sdk/v2 at their v2.6.x tags.
// The Go module proxy answered that commit with:
//   403 Forbidden, server response: This module version is not available.
