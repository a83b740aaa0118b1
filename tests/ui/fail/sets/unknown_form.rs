// A scope without its action gets a note on the `service:resource:action` form.
use cb_scopes::scopes;

type Accounts = scopes!(wallet:accounts);

fn main() {}
