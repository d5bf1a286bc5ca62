"""Fake camera feeds for the quality browser tests: Y4M files Chromium plays as the camera
(`--use-file-for-fake-video-capture`), built from scikit-image's astronaut (a real face
shipped inside the scikit-image package) so the face detector is genuinely exercised.

Usage: python3 feeds.py OUT_DIR  -> writes good.y4m, dark.y4m, flicker.y4m (good and dark in
turn), two.y4m (640x480, 4:2:0), and
dark.png and faceless.png, photos to upload (the dark portrait, and scikit-image's brick wall).
`cargo xtask test` installs scikit-image and Pillow.
"""
import importlib.util
import os
import sys

from PIL import Image, ImageEnhance

W, H = 640, 480


def sample(name):
    data = os.path.join(importlib.util.find_spec("skimage").submodule_search_locations[0], "data")
    return Image.open(os.path.join(data, name)).convert("RGB")


def astronaut():
    return sample("astronaut.png")


def portrait(img):
    # The face centred in a 4:3 frame (the crop the measurement test calls astronaut-0).
    return img.crop((70, 10, 390, 250)).resize((W, H))


def yuv(frame):
    y, cb, cr = frame.convert("YCbCr").split()
    cb = cb.resize((W // 2, H // 2))
    cr = cr.resize((W // 2, H // 2))
    return y.tobytes() + cb.tobytes() + cr.tobytes()


def write_y4m(path, frame, count=10, frames=None):
    """`count` copies of `frame`, or the `frames` given, at 10 frames a second."""
    payloads = [yuv(f) for f in frames] if frames else [yuv(frame)] * count
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode())
        for payload in payloads:
            f.write(b"FRAME\n" + payload)


def main(out):
    os.makedirs(out, exist_ok=True)
    face = portrait(astronaut())
    write_y4m(os.path.join(out, "good.y4m"), face)
    dark = ImageEnhance.Brightness(face).enhance(0.15)
    write_y4m(os.path.join(out, "dark.y4m"), dark)
    # The light flickering: 0.3 s good, 0.5 s dark, over and over; no answer holds a second.
    write_y4m(os.path.join(out, "flicker.y4m"), None, frames=([face] * 3 + [dark] * 5) * 3)
    two = Image.new("RGB", (W, H), (90, 90, 90))
    half = face.crop((100, 0, 540, 480)).resize((320, 350))
    two.paste(half, (0, 60))
    two.paste(half, (320, 60))
    write_y4m(os.path.join(out, "two.y4m"), two)
    ImageEnhance.Brightness(face).enhance(0.15).save(os.path.join(out, "dark.png"))
    sample("brick.png").resize((W, H)).save(os.path.join(out, "faceless.png"))


if __name__ == "__main__":
    main(sys.argv[1])
