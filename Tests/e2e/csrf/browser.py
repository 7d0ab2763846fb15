#!/usr/bin/env python3
"""Drives headless Chromium (Debian's chromium + chromium-driver, through selenium) for
csrf-browser.sh: logs in to the application with Basic so the browser caches the login, posts
from the application's own page, then lets a page on another site post to it.

Prints one `name: value` line per observation; csrf-browser.sh asserts on them and on the
daemon's decision log. Exits 2 when Chromium cannot start: the test must fail, never skip.
"""
import argparse
import sys
import time
import urllib.parse

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as error:
    print(f"browser: selenium is not installed ({error}); scripts/setup installs it", file=sys.stderr)
    sys.exit(2)


def start_chromium(profile):
    options = webdriver.ChromeOptions()
    # Debian's binaries, named so selenium never looks for (or downloads) a driver of its own.
    options.binary_location = "/usr/bin/chromium"
    # CI runs as root, where Chromium's sandbox cannot start.
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(20)
    return driver


def body_text(driver):
    return " ".join(driver.find_element(By.TAG_NAME, "body").text.split())


def submit_and_wait(driver, script, path):
    """Runs `script` (which submits a form) and waits until the browser shows `path`'s answer."""
    driver.execute_script(script)
    WebDriverWait(driver, 20).until(lambda d: urllib.parse.urlparse(d.current_url).path == path)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return body_text(driver)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True, help="the application's origin, e.g. http://localhost:18561")
    parser.add_argument("--attacker", required=True, help="the other site's origin, e.g. http://127.0.0.1:18560")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--profile", required=True, help="an empty directory for Chromium's profile")
    args = parser.parse_args()

    try:
        driver = start_chromium(args.profile)
    except WebDriverException as error:
        print(f"browser: Chromium could not start: {error.msg}", file=sys.stderr)
        sys.exit(2)
    try:
        print(f"chromium: {driver.capabilities.get('browserVersion', '?')}")
        app = urllib.parse.urlparse(args.app)

        # Log in the way a user does: the 401 challenge is answered with the credentials of the
        # URL, and the browser caches them for the realm, as it does after a password prompt.
        login = f"{app.scheme}://{args.user}:{args.password}@{app.netloc}/app/"
        driver.get(login)
        print(f"login title: {driver.title}")

        # The application's own page: its form and its fetch() (same-origin).
        driver.get(args.app + "/app/")
        print("own form: " + submit_and_wait(driver, "document.getElementById('own-form').submit()", "/app/form-transfer"))
        driver.get(args.app + "/app/")
        print("own fetch: " + driver.execute_async_script(
            "window.ownFetch('/app/fetch-transfer').then(arguments[0], e => arguments[0]('failed: ' + e))"))
        print("own basic fetch: " + driver.execute_async_script(
            "window.ownFetch('/app/basic/fetch-transfer').then(arguments[0], e => arguments[0]('failed: ' + e))"))

        # Another site's page.
        attacker = args.attacker + "/attacker.html?app=" + urllib.parse.quote(args.app, safe="")
        driver.get(attacker)
        print(f"attacker title: {driver.title}")
        print("attacker fetch: " + driver.execute_async_script(
            "window.attackWithFetch('/app/fetch-transfer').then(arguments[0])"))
        print("attacker form: " + submit_and_wait(driver, "window.attackWithForm('/app/form-transfer')", "/app/form-transfer"))
        driver.get(attacker)
        print("attacker basic form: " + submit_and_wait(
            driver, "window.attackWithForm('/app/basic/form-transfer')", "/app/basic/form-transfer"))
        # The control: an area without the csrf gate takes the same forged form, with the login
        # the browser replayed. Without it, a pass above could mean the browser sent nothing.
        driver.get(attacker)
        print("attacker open form: " + submit_and_wait(
            driver, "window.attackWithForm('/app/open/form-transfer')", "/app/open/form-transfer"))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
