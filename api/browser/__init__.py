"""What browsers need beside bearer tokens: cookie sessions (their cookies and CSRF protection) and the
HTML pages behind the mailed links."""
