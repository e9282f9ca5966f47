"""Drives the playground page in headless Chromium, as a person would, against a live server.

Usage, from the repository root: python3 -m scripts.e2e.playground_browser PORT SCREENSHOT_DIR

Loads `/`, types a sentence, chooses causal multi-head attention and runs it; checks that
the SVG heatmap has L×L cells in each head's panel and that exactly the cells above the
diagonal are drawn as masked, that the output table and the request are shown; then asks
for heads that don't divide the embedding size and checks the API's error is shown in the
page. Saves playground.png and playground-error.png in SCREENSHOT_DIR. Chromium and its
driver are Debian's (`/usr/bin/chromium`, `/usr/bin/chromedriver`): nothing is downloaded.
"""
import json
import os
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

SENTENCE = "the cat sat on the mat because it was tired"
TIMEOUT = 60


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1440,1250", "--force-device-scale-factor=1", "--lang=en-US"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager look for a driver online
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def run_and_wait(driver, runs_before):
    """Presses Run and waits until the page has finished that run; returns its state."""
    driver.find_element(By.ID, "run").click()
    card = driver.find_element(By.ID, "heatmap-card")
    WebDriverWait(driver, TIMEOUT).until(lambda _: card.get_attribute("data-runs") == str(runs_before + 1))
    return card.get_attribute("data-state")


def fill(driver, element_id, text):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def cells(panel):
    """(row, column, masked) of each cell of a panel, from its coordinates."""
    rects = panel.find_elements(By.CSS_SELECTOR, "g.cells > rect")
    size = float(rects[0].get_attribute("width"))
    return [(round(float(r.get_attribute("y")) / size), round(float(r.get_attribute("x")) / size),
             r.get_attribute("class") == "masked") for r in rects]


def main():
    port, out = sys.argv[1], sys.argv[2]
    driver = browser()
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        card = driver.find_element(By.ID, "heatmap-card")
        # The page runs its default example once on load.
        WebDriverWait(driver, TIMEOUT).until(lambda _: card.get_attribute("data-runs") == "1")
        assert card.get_attribute("data-state") == "done", driver.find_element(By.ID, "error-body").text
        print("ok   page loaded and drew its first example")

        # A mechanism whose endpoint the server does not list is offered disabled.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Accept": "application/json"})
        served = {e["path"] for e in json.load(urllib.request.urlopen(request))["endpoints"]}
        paths = {"dot": "/v1/attention", "multi-head": "/v1/attention/multi-head",
                 "additive": "/v1/attention/additive", "local": "/v1/attention/local"}
        for option in Select(driver.find_element(By.ID, "mechanism")).options:
            value = option.get_attribute("value")
            WebDriverWait(driver, TIMEOUT).until(lambda _: option.is_enabled() == (paths[value] in served))
        print(f"ok   mechanisms offered: those of {sorted(p for p in paths.values() if p in served)}")

        fill(driver, "sentence", SENTENCE)
        Select(driver.find_element(By.ID, "mechanism")).select_by_value("multi-head")
        fill(driver, "heads", "4")
        causal = driver.find_element(By.ID, "causal")
        if not causal.is_selected():
            causal.click()
        state = run_and_wait(driver, 1)
        assert state == "done", driver.find_element(By.ID, "error-body").text

        length = len(SENTENCE.split())
        panels = driver.find_elements(By.CSS_SELECTOR, "#heatmap svg g.panel")
        heads = [p for p in panels if p.get_attribute("data-head") is not None]
        assert len(heads) == 4 and len(panels) == 5, f"{len(heads)} head panels of {len(panels)}"
        for panel in panels:
            drawn = cells(panel)
            assert len(drawn) == length * length, f"{len(drawn)} cells, expected {length}×{length}"
            masked = {(row, column) for row, column, is_masked in drawn if is_masked}
            above = {(row, column) for row in range(length) for column in range(length) if column > row}
            assert masked == above, f"masked cells {sorted(masked)} are not the upper triangle"
        print(f"ok   causal multi-head: {len(heads)} heads and their average, {length}×{length} cells each, "
              f"the {len(above)} above the diagonal masked")

        labels = {t.text for t in panels[0].find_elements(By.CSS_SELECTOR, "text")}
        assert {"cat", "tired"} <= labels, f"token labels missing: {sorted(labels)}"
        rows = driver.find_elements(By.CSS_SELECTOR, "#output tbody tr")
        assert len(rows) == length, f"output table has {len(rows)} rows"
        request = driver.find_element(By.ID, "request").text
        assert '"num_heads": 4' in request and '"causal": true' in request, request
        assert driver.find_element(By.ID, "error").get_attribute("hidden") is not None
        print("ok   token labels, output table and request shown")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(out, "playground.png"))

        fill(driver, "heads", "3")
        state = run_and_wait(driver, 2)
        assert state == "error", f"state {state}"
        error = driver.find_element(By.ID, "error")
        assert error.is_displayed()
        shown = driver.find_element(By.ID, "error-body").text
        assert "422" in driver.find_element(By.ID, "error-status").text
        assert '"pointer": "/w_q"' in shown and "does not divide" in shown, shown
        print("ok   heads that don't divide: the API's 422 problem shown in the page")
        driver.save_screenshot(os.path.join(out, "playground-error.png"))

        if "/v1/attention/local" in served:
            # Luong local-m with D = 1: everything beyond one token either side is masked.
            Select(driver.find_element(By.ID, "mechanism")).select_by_value("local")
            fill(driver, "half-window", "1")
            if causal.is_selected():
                causal.click()
            state = run_and_wait(driver, 3)
            assert state == "done", driver.find_element(By.ID, "error-body").text
            panels = driver.find_elements(By.CSS_SELECTOR, "#heatmap svg g.panel")
            assert len(panels) == 1, f"{len(panels)} panels"
            masked = {(row, column) for row, column, is_masked in cells(panels[0]) if is_masked}
            assert masked == {(i, j) for i in range(length) for j in range(length) if abs(i - j) > 1}, sorted(masked)
            print("ok   local attention: the cells beyond each window masked")

        # The page under its Content-Security-Policy: nothing refused, no script error.
        problems = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "422" not in e["message"]]
        assert not problems, problems
        print(f"ok   no browser errors; screenshots in {out}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
