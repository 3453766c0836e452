package store

// IAM is the persistence of the embedded identity service: domains, projects, users, access keys,
// tokens, policies and keypairs.
type IAM interface{}
