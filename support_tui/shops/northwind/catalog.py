"""The generated product catalogue: product families in three models each, with specs and variants."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

BT = "Bluetooth 5.3"
PHONES = ["iPhone 15", "iPhone 14", "iOS 16+", "Android 10+"]
COLOURS = ["Black", "White", "Navy"]
SIZES = ["S", "M", "L", "XL"]


@dataclass(frozen=True)
class Family:
    """Three models of one kind of product. A list of three in ``specs`` gives one value per model."""

    code: str
    category: str
    kind: str
    names: tuple[str, ...]
    prices: tuple[float, ...]
    specs: dict[str, Any]
    compatibility: Any
    warranty_months: int
    variants: tuple[str, tuple[str, ...]] | None
    blurb: str


def _f(
    code: str, category: str, kind: str, names: list[str], prices: list[float], specs: dict[str, Any], compat: Any,
    warranty: int, variants: tuple[str, tuple[str, ...]] | None, blurb: str,
) -> Family:
    return Family(code, category, kind, tuple(names), tuple(prices), specs, compat, warranty, variants, blurb)


FAMILIES: tuple[Family, ...] = (
    _f("EB", "electronics", "wireless earbuds", ["Sonora Pulse Wireless Earbuds", "Sonora Pulse Pro Wireless Earbuds", "Sonora Pulse Max Wireless Earbuds"],
       [49.99, 99.99, 179.99], {"battery_life_hours": [6, 8, 10], "noise_cancelling": [False, True, True], "water_resistance": ["IPX4", "IPX5", "IPX7"], "bluetooth": "5.3"},
       PHONES + [BT], 12, ("colour", ("Black", "White")), "True wireless earbuds with a pocket charging case and touch controls."),
    _f("HP", "electronics", "headphones", ["Lumen Studio Wireless Headphones", "Lumen Studio ANC Wireless Headphones", "Lumen Reference Wireless Headphones"],
       [89.99, 199.99, 349.00], {"battery_life_hours": [30, 40, 50], "noise_cancelling": [False, True, True], "driver_mm": 40, "bluetooth": "5.3", "multipoint": [False, True, True]},
       PHONES + [BT, "Windows", "macOS"], 24, ("colour", ("Black", "Silver")), "Over-ear headphones with memory-foam cushions and a fold-flat design."),
    _f("SP", "electronics", "bluetooth speaker", ["Tidal Mini Bluetooth Speaker", "Tidal Go Bluetooth Speaker", "Tidal Boom Bluetooth Speaker"],
       [39.99, 79.99, 149.99], {"battery_life_hours": [10, 16, 24], "waterproof": "IP67", "output_watts": [5, 20, 40]},
       PHONES + [BT], 12, ("colour", ("Black", "Teal", "Red")), "A rugged portable speaker that floats and pairs in stereo."),
    _f("SW", "electronics", "smartwatch", ["Orbit Fit Smartwatch", "Orbit Active Smartwatch", "Orbit Pro Smartwatch"],
       [129.00, 249.00, 399.00], {"display": ["1.4in LCD", "1.6in AMOLED", "1.9in AMOLED"], "gps": [False, True, True], "battery_life_days": [7, 5, 4], "water_resistance": "5 ATM"},
       ["iOS 16+", "Android 10+", BT], 12, ("colour", ("Black", "Rose Gold", "Silver")), "Tracks heart rate, sleep and workouts; shows notifications from your phone."),
    _f("FT", "electronics", "fitness tracker", ["Stride Band Fitness Tracker", "Stride Band 2 Fitness Tracker", "Stride Band HR Fitness Tracker"],
       [39.99, 59.99, 89.99], {"battery_life_days": [10, 12, 14], "heart_rate": [False, True, True], "water_resistance": "5 ATM"},
       ["iOS 15+", "Android 9+", "Bluetooth 5.0"], 12, ("colour", ("Black", "Blue")), "A slim band that counts steps, sleep and active minutes."),
    _f("TB", "electronics", "tablet", ["Slate 10 Tablet", "Slate 11 Plus Tablet", "Slate 12 Pro Tablet"],
       [229.00, 399.00, 649.00], {"screen": ["10.1in", "11in", "12.4in"], "storage_gb": [64, 128, 256], "ram_gb": [4, 6, 8], "os": "Android 14"},
       ["Wi-Fi 6", BT, "USB-C"], 12, ("colour", ("Grey", "Silver")), "A thin tablet for reading, streaming and note-taking."),
    _f("LT", "electronics", "laptop", ["Vantage 14 Laptop", "Vantage 15 Laptop", "Vantage 16 Pro Laptop"],
       [749.00, 1299.00, 1899.00], {"screen": ["14in FHD", "15.6in QHD", "16in OLED"], "cpu": ["8-core", "10-core", "14-core"], "ram_gb": [16, 16, 32], "storage_gb": [512, 1024, 2048], "os": "Windows 11"},
       ["Wi-Fi 6E", BT, "USB-C", "HDMI 2.1"], 24, ("colour", ("Graphite", "Silver")), "An aluminium laptop with an all-day battery and a backlit keyboard."),
    _f("MN", "electronics", "monitor", ["ClearView 24 Monitor", "ClearView 27 4K Monitor", "ClearView 32 4K Monitor"],
       [169.00, 329.00, 499.00], {"size": ["24in", "27in", "32in"], "resolution": ["1920x1080", "3840x2160", "3840x2160"], "refresh_hz": [75, 60, 144], "ports": "HDMI, DisplayPort, USB-C"},
       ["Windows", "macOS", "USB-C DisplayPort Alt Mode"], 36, None, "An IPS monitor with thin bezels and a height-adjustable stand."),
    _f("KB", "electronics", "keyboard", ["Keystone 75 Mechanical Keyboard", "Keystone TKL Mechanical Keyboard", "Keystone Full Mechanical Keyboard"],
       [79.00, 109.00, 139.00], {"switches": ["brown", "red", "blue"], "wireless": True, "battery_life_hours": 200, "layout": ["75%", "tenkeyless", "full size"]},
       ["Windows", "macOS", "iPadOS", BT, "USB-C"], 24, ("colour", ("Black", "White")), "A hot-swappable mechanical keyboard with three Bluetooth profiles."),
    _f("MS", "electronics", "mouse", ["Glide Wireless Mouse", "Glide Ergo Wireless Mouse", "Glide Pro Wireless Mouse"],
       [24.99, 49.99, 89.99], {"dpi": [1600, 4000, 8000], "buttons": [3, 6, 8], "battery": ["AA", "rechargeable", "rechargeable"]},
       ["Windows", "macOS", "Chrome OS", BT], 12, ("colour", ("Black", "Grey")), "A quiet-click mouse that pairs over Bluetooth or a USB receiver."),
    _f("WC", "electronics", "webcam", ["Focus HD Webcam", "Focus 2K Webcam", "Focus 4K Webcam"],
       [39.99, 79.99, 149.99], {"resolution": ["1080p", "1440p", "2160p"], "autofocus": [False, True, True], "microphones": 2},
       ["Windows", "macOS", "USB-A", "USB-C"], 12, None, "A clip-on webcam with a privacy shutter and low-light correction."),
    _f("SD", "electronics", "portable SSD", ["Vault 500GB Portable SSD", "Vault 1TB Portable SSD", "Vault 2TB Portable SSD"],
       [59.99, 99.99, 169.99], {"capacity_gb": [500, 1000, 2000], "read_mb_s": 1050, "interface": "USB 3.2 Gen 2"},
       ["Windows", "macOS", "iPad (USB-C)", "Android (USB-C)"], 36, None, "A drop-resistant solid-state drive the size of a credit card."),
    _f("PB", "electronics", "power bank", ["Charge 10K Power Bank", "Charge 20K Power Bank", "Charge 26K Laptop Power Bank"],
       [29.99, 49.99, 89.99], {"capacity_mah": [10000, 20000, 26000], "max_output_w": [20, 30, 100], "ports": "USB-C PD, USB-A"},
       ["iPhone 15", "Android", "USB-C laptops"], 18, ("colour", ("Black", "White")), "Fast-charges phones and, in the largest model, laptops."),
    _f("ER", "electronics", "e-reader", ["Leaf E-Reader", "Leaf Paperwhite E-Reader", "Leaf Scribe E-Reader"],
       [99.99, 149.99, 279.99], {"screen": ["6in", "6.8in", "10.2in"], "storage_gb": [16, 16, 32], "waterproof": [False, True, True], "front_light": True},
       ["EPUB", "PDF", "Wi-Fi"], 12, None, "A glare-free e-ink reader with weeks of battery life."),
    _f("PC", "accessories", "phone case", ["ArmorFlex Case for iPhone 15", "ArmorFlex Case for Galaxy S24", "ArmorFlex Case for Pixel 8"],
       [24.99, 24.99, 22.99], {"material": "TPU and polycarbonate", "drop_rating_ft": 10, "magsafe": [True, False, False]},
       [["iPhone 15"], ["Galaxy S24"], ["Pixel 8"]], 6, ("colour", ("Black", "Clear", "Blue")), "A slim shock-absorbing case with raised edges for the screen and camera."),
    _f("SC", "accessories", "screen protector", ["ClearShield Glass for iPhone 15", "ClearShield Glass for Galaxy S24", "ClearShield Privacy Glass for iPhone 15"],
       [14.99, 14.99, 19.99], {"material": "tempered glass", "hardness": "9H", "pack": 2},
       [["iPhone 15"], ["Galaxy S24"], ["iPhone 15"]], 6, None, "Tempered-glass screen protectors with an alignment frame."),
    _f("CH", "accessories", "charger", ["Volt 20W USB-C Charger", "Volt 65W GaN Charger", "Volt 100W GaN Charger"],
       [19.99, 44.99, 69.99], {"output_w": [20, 65, 100], "ports": ["1x USB-C", "2x USB-C, 1x USB-A", "3x USB-C, 1x USB-A"]},
       ["iPhone 15", "Android", "USB-C laptops", "USB Power Delivery"], 18, ("colour", ("White", "Black")), "A compact wall charger with USB Power Delivery."),
    _f("CB", "accessories", "cable", ["Braided USB-C Cable 1m", "Braided USB-C Cable 2m", "Braided USB-C to Lightning Cable"],
       [12.99, 16.99, 19.99], {"length_m": [1, 2, 1], "max_w": [60, 100, 20]},
       [["USB-C"], ["USB-C"], ["iPhone 14", "Lightning"]], 12, ("colour", ("Black", "White")), "A nylon-braided cable tested to 20,000 bends."),
    _f("LS", "accessories", "laptop sleeve", ["Nomad 13in Laptop Sleeve", "Nomad 14in Laptop Sleeve", "Nomad 16in Laptop Sleeve"],
       [29.99, 32.99, 36.99], {"fits_up_to": ["13.3in", "14in", "16in"], "material": "recycled felt"},
       [["13in laptops"], ["14in laptops"], ["15-16in laptops"]], 12, ("colour", ("Grey", "Navy")), "A padded sleeve with a magnetic closure and a cable pocket."),
    _f("WP", "accessories", "wireless charger", ["Halo Wireless Charging Pad", "Halo 3-in-1 Charging Stand", "Halo MagSafe Charger"],
       [24.99, 79.99, 39.99], {"output_w": [10, 15, 15], "standard": ["Qi", "Qi2", "MagSafe"]},
       [["iPhone 15", "Android (Qi)"], ["iPhone 15", "Apple Watch", "AirPods"], ["iPhone 15", "iPhone 14"]], 12, None, "Sets your phone charging the moment you put it down."),
    _f("RJ", "apparel", "running jacket", ["Tempo Running Jacket", "Tempo Thermal Running Jacket", "Tempo Storm Running Jacket"],
       [79.00, 99.00, 139.00], {"material": ["recycled polyester", "brushed fleece lining", "3-layer shell"], "reflective": True, "waterproof": [False, False, True]},
       [], 12, ("size", ("S", "M", "L", "XL")), "A light jacket with reflective trims and a zipped phone pocket."),
    _f("TS", "apparel", "t-shirt", ["Merino Crew T-Shirt", "Merino V-Neck T-Shirt", "Merino Long-Sleeve Tee"],
       [45.00, 45.00, 55.00], {"material": "100% merino wool", "weight_gsm": 150},
       [], 6, ("size", ("S", "M", "L", "XL")), "Soft merino that keeps odour away on long days."),
    _f("HD", "apparel", "hoodie", ["Harbor Hoodie", "Harbor Zip Hoodie", "Harbor Heavyweight Hoodie"],
       [59.00, 69.00, 89.00], {"material": "organic cotton fleece", "weight_gsm": [320, 320, 450]},
       [], 6, ("size", ("S", "M", "L", "XL")), "A relaxed-fit hoodie in brushed organic cotton."),
    _f("SH", "apparel", "running shoes", ["Ridge Trail Running Shoes", "Ridge GTX Trail Running Shoes", "Ridge Road Running Shoes"],
       [119.00, 159.00, 129.00], {"drop_mm": [6, 6, 8], "waterproof": [False, True, False], "weight_g": [290, 320, 260]},
       [], 6, ("size", ("8", "9", "10", "11", "12")), "Cushioned running shoes with a grippy rubber outsole."),
    _f("RN", "apparel", "rain jacket", ["Drift Packable Rain Jacket", "Drift Insulated Rain Jacket", "Drift Long Rain Coat"],
       [89.00, 149.00, 169.00], {"waterproof_mm": [10000, 15000, 20000], "packable": [True, False, False]},
       [], 12, ("size", ("S", "M", "L", "XL")), "A seam-sealed rain jacket with an adjustable hood."),
    _f("BN", "apparel", "beanie", ["Alpine Knit Beanie", "Alpine Merino Beanie", "Alpine Fleece-Lined Beanie"],
       [19.00, 29.00, 25.00], {"material": ["acrylic", "merino wool", "acrylic with fleece lining"]},
       [], 6, ("colour", ("Charcoal", "Mustard", "Forest")), "A warm rib-knit beanie."),
    _f("CG", "home", "coffee grinder", ["Brewline Blade Coffee Grinder", "Brewline Burr Coffee Grinder", "Brewline Precision Burr Grinder"],
       [29.00, 89.00, 199.00], {"burr": ["blade", "conical steel", "flat steel"], "grind_settings": [1, 18, 40], "capacity_g": [70, 250, 300]},
       [], 24, None, "Grinds beans for espresso through to cold brew."),
    _f("KT", "home", "kettle", ["Brewline Pour-Over Kettle", "Brewline Electric Gooseneck Kettle", "Brewline Smart Kettle"],
       [39.00, 79.00, 129.00], {"capacity_l": [1.0, 0.9, 1.2], "temperature_control": [False, True, True], "app": [False, False, True]},
       [[], [], ["iOS 16+", "Android 10+", "Wi-Fi"]], 24, ("colour", ("Matte Black", "Steel")), "A gooseneck kettle for a slow, even pour."),
    _f("AP", "home", "air purifier", ["PureAir 200 Air Purifier", "PureAir 400 Air Purifier", "PureAir 600 Smart Air Purifier"],
       [129.00, 229.00, 379.00], {"room_sq_ft": [200, 400, 600], "filter": "true HEPA H13", "noise_db": [24, 26, 28]},
       [[], [], ["iOS 16+", "Android 10+", "Wi-Fi", "Alexa"]], 24, None, "A quiet HEPA purifier that removes 99.97% of airborne particles."),
    _f("LB", "home", "smart bulbs", ["Glow Smart Bulb", "Glow Smart Bulb 4-Pack", "Glow Colour Smart Bulb 4-Pack"],
       [14.99, 49.99, 79.99], {"lumens": 800, "colour": [False, False, True], "hub_required": False},
       ["iOS 16+", "Android 10+", "Wi-Fi", "Alexa", "Google Home"], 24, None, "Dimmable smart bulbs you control from your phone or by voice."),
    _f("KN", "home", "kitchen knife", ["Edge 8in Chef's Knife", "Edge 7in Santoku Knife", "Edge 3-Piece Knife Set"],
       [69.00, 65.00, 149.00], {"steel": "VG-10 Damascus", "handle": "pakkawood", "pieces": [1, 1, 3]},
       [], 120, None, "Hand-sharpened knives that hold their edge."),
    _f("SK", "home", "cookware", ["Forge 10in Cast Iron Skillet", "Forge 12in Cast Iron Skillet", "Forge Dutch Oven 5.5qt"],
       [34.00, 44.00, 89.00], {"material": ["cast iron", "cast iron", "enamelled cast iron"], "oven_safe_f": 500},
       [["gas", "electric", "induction"]] * 3, 120, None, "Pre-seasoned cast iron for searing, baking and braising."),
    _f("RV", "home", "robot vacuum", ["Roam V1 Robot Vacuum", "Roam V3 Robot Vacuum", "Roam V5 Robot Vacuum and Mop"],
       [199.00, 349.00, 599.00], {"suction_pa": [2000, 4000, 6000], "mapping": ["gyro", "lidar", "lidar"], "mop": [False, False, True]},
       ["iOS 16+", "Android 10+", "Wi-Fi 2.4 GHz", "Alexa"], 12, None, "Cleans on a schedule and finds its way back to its dock."),
    _f("DL", "home", "desk lamp", ["Beam LED Desk Lamp", "Beam Architect Desk Lamp", "Beam Smart Desk Lamp"],
       [39.00, 79.00, 99.00], {"lumens": [400, 600, 800], "colour_temperature": "2700-6500K", "usb_charging": [False, True, True]},
       [[], [], ["iOS 16+", "Android 10+", "Wi-Fi"]], 24, ("colour", ("Black", "White")), "A flicker-free lamp with a stepless dimmer."),
)


def _spec(value: Any, model: int) -> Any:
    return value[model] if isinstance(value, list) and len(value) == 3 else value


def _compat(value: Any, model: int) -> list[str]:
    if value and isinstance(value[0], list):
        return list(value[model])
    return list(value)


def build_catalog(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Products and their variants, in a fixed order; stock levels come from ``rng``."""
    products: list[dict[str, Any]] = []
    variants: list[dict[str, Any]] = []
    number = 1001
    for family in FAMILIES:
        for model, name in enumerate(family.names):
            pid = f"P-{number}"
            sku = f"{family.code}-{number}"
            number += 1
            specs = {key: _spec(value, model) for key, value in family.specs.items()}
            stock = 0 if rng.random() < 0.08 else rng.randint(3, 180)
            products.append(
                {
                    "id": pid,
                    "sku": sku,
                    "name": name,
                    "category": family.category,
                    "price": family.prices[model],
                    "stock": stock,
                    "specs": specs,
                    "compatibility": _compat(family.compatibility, model),
                    "warranty_months": family.warranty_months,
                    "description": f"{name}: {family.blurb}",
                }
            )
            if family.variants:
                axis, options = family.variants
                for option in options:
                    variants.append(
                        {
                            "sku": f"{sku}-{option.upper().replace(' ', '')[:4]}",
                            "product_id": pid,
                            "colour": option if axis == "colour" else None,
                            "size": option if axis == "size" else None,
                            "stock": rng.randint(0, 60),
                        }
                    )
    return products, variants
