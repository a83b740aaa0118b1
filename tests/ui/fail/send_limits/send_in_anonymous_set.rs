// An anonymous set cannot carry a send limit, so it cannot hold send.
use cb_scopes::scopes;

type Payouts = scopes!(wallet:accounts:read, wallet:transactions:send);

fn main() {}
