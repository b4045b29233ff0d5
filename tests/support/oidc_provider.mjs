// A real OpenID provider for the tests: the certified npm package oidc-provider,
// with its development sign-in pages (any login name, any password).
//
// Configured by environment variables:
//   OIDC_PROVIDER_MODULE  absolute path of oidc-provider's lib/index.js
//   OIDC_PORT             port on 127.0.0.1
//   OIDC_CLIENT           JSON: {client_id, client_secret, redirect_uris, post_logout_redirect_uris}
//   OIDC_JWKS             JSON: the private signing keys (the tests forge tokens with them too)
//   OIDC_ACCOUNTS         JSON: login name -> claims (email, email_verified, name)
// Prints "ready <issuer>" on stdout when it listens.
const { default: Provider } = await import(process.env.OIDC_PROVIDER_MODULE);

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");

const provider = new Provider(issuer, {
  clients: [
    {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      ...JSON.parse(process.env.OIDC_CLIENT),
    },
  ],
  jwks: JSON.parse(process.env.OIDC_JWKS),
  cookies: { keys: ["test-only-cookie-key-0123456789abcdef"] },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: false, // e-mail and name in the ID token, as Entra ID and Google do
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = accounts[id] || { email: `${id}@okand.example`, email_verified: true };
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;

provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
