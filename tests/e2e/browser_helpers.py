"""Small helpers the browser tests share."""


def log_in_at(page, base_url: str, username: str, password: str = "secret-pass") -> None:
    """Log in through the form of the server at ``base_url`` and wait for the dashboard."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
