"""Drives the playground page in headless Chromium, as a person would, against a live server.

Usage, from the repository root: python3 -m scripts.e2e.playground_browser PORT SCREENSHOT_DIR [--model NAME]

Loads `/`, types a sentence, chooses causal multi-head attention and runs it; checks that
the SVG heatmap has L×L cells in each head's panel and that exactly the cells above the
diagonal are drawn as masked, that the output table and the request are shown; then asks
for heads that don't divide the embedding size and checks the API's error is shown in the
page. Saves playground.png and playground-error.png in SCREENSHOT_DIR.

With --model NAME (a server started with --model NAME=PATH), checks the model mode instead:
the model is offered and chosen by default, the page's first run draws its model view (a
panel of T×T cells for every layer and head, the tokens as labels), clicking a panel draws
that layer's head view whose line opacities are the weights the JSON API returns for the
same sentence, and the back button returns to the model view. Saves playground-model.png
and playground-model-head.png. Chromium and its
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


def post_json(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))


# The model view's panels and the head view's lines, read in one call each (thousands of elements).
PANELS_JS = """return [...document.querySelectorAll('#heatmap svg g.panel')].map(
    g => [Number(g.dataset.layer), Number(g.dataset.head), g.querySelectorAll('rect').length])"""
LINES_JS = """return [...document.querySelectorAll('#heatmap svg g.head')].map(g => [Number(g.dataset.head),
    [...g.querySelectorAll('line')].map(l => [Number(l.dataset.query), Number(l.dataset.key),
                                              Number(l.getAttribute('stroke-opacity'))])])"""


def check_model(port, name, out):
    driver = browser()
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        card = driver.find_element(By.ID, "heatmap-card")
        WebDriverWait(driver, TIMEOUT).until(lambda _: card.get_attribute("data-runs") == "1")
        assert card.get_attribute("data-state") == "done", driver.find_element(By.ID, "error-body").text
        chosen = Select(driver.find_element(By.ID, "mechanism")).first_selected_option.get_attribute("value")
        assert chosen == f"model:{name}", f"the page chose {chosen}, not the model"
        shown = [i for i in ("seed", "dim", "causal") if driver.find_element(By.ID, i).is_displayed()]
        assert not shown, f"the mechanisms' controls {shown} are shown for a model"

        text = driver.find_element(By.ID, "sentence").get_attribute("value").strip()
        reference = post_json(port, f"/v1/models/{name}/attention", {"text": text})
        tokens, attentions = reference["tokens"], reference["attentions"]
        layers, heads, count = len(reference["layers"]), len(reference["heads"]), len(tokens)
        panels = driver.execute_script(PANELS_JS)
        expected = {(layer, head, count * count) for layer in range(layers) for head in range(heads)}
        assert {tuple(p) for p in panels} == expected and len(panels) == len(expected), \
            f"{len(panels)} panels, expected {layers}×{heads} of {count}×{count} cells"
        labels = driver.execute_script("return [...document.querySelectorAll('#heatmap svg text')].map(t => t.textContent)")
        assert "tokens: " + " ".join(tokens) in labels, f"the model's tokens {tokens} are not listed: {labels[:3]}"
        print(f"ok   model {name} chosen by default; its model view: {layers}×{heads} panels of {count}×{count} cells, tokens labelled")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(out, "playground-model.png"))

        layer = layers // 2
        panel = driver.find_element(By.CSS_SELECTOR, f'#heatmap svg g.panel[data-layer="{layer}"][data-head="0"]')
        panel.click()
        WebDriverWait(driver, TIMEOUT).until(
            lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#heatmap svg g.head")) == heads
            and card.get_attribute("data-state") == "done")
        assert f'"layer": {layer}' in driver.find_element(By.ID, "request").text
        worst = 0.0
        for head, lines in driver.execute_script(LINES_JS):
            weights = attentions[layer][head]
            drawn = {(query, key): opacity for query, key, opacity in lines}
            for query in range(count):
                for key in range(count):
                    weight = weights[query][key]
                    if weight < 1 / 256:
                        assert (query, key) not in drawn, f"head {head}: line {query}→{key} of weight {weight} drawn"
                    else:
                        worst = max(worst, abs(drawn[(query, key)] - weight))
        assert worst <= 0.0005 + 1e-6, f"a line's opacity is {worst} from its weight"
        print(f"ok   clicking layer {layer} drew its head view: {heads} heads, every line's opacity the API's weight "
              f"(largest difference {worst:.4f}, 3 decimals drawn)")
        driver.save_screenshot(os.path.join(out, "playground-model-head.png"))

        driver.find_element(By.XPATH, "//button[text()='Back to the model view']").click()
        WebDriverWait(driver, TIMEOUT).until(lambda _: len(driver.execute_script(PANELS_JS)) == layers * heads
                                             and card.get_attribute("data-state") == "done")
        problems = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not problems, problems
        print(f"ok   back to the model view; no browser errors; screenshots in {out}")
    finally:
        driver.quit()


def main():
    port, out = sys.argv[1], sys.argv[2]
    if sys.argv[3:5] and sys.argv[3] == "--model":
        check_model(port, sys.argv[4], out)
        return
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
